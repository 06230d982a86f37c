/* The public map: hazards by status and classification from hazards.pmtiles, admin boundaries
   from admin.pmtiles, cards, search by admin area name or P-code (admin.json), Ukrainian and
   English (switched without a reload), and "check a route or place" computed in the browser
   (check.js over hazards.fgb and coverage.fgb). Every file comes from this directory: nothing
   is fetched elsewhere. The page's state for tests and benchmarks is window.clearground. */
import { check, CheckError } from "./check.js";

const ALL = JSON.parse(document.getElementById("strings").textContent);
const BASE = new URL(".", location.href).href.replace(/assets\/$/, "");
const api = (window.clearground = { ready: false, errors: [] });
let lang = document.documentElement.lang;
let T = ALL[lang];
let metadata = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
const $ = (id) => document.getElementById(id);
function word(key) {
  return key.split(".").reduce((o, k) => (o ? o[k] : undefined), T) ?? key;
}
function fmt(key, values) { return word(key).replace(/%\((\w+)\)s/g, (m, k) => String(values[k])); }

/* -- languages ---------------------------------------------------------------------------- */
function setLanguage(next) {
  if (!ALL[next]) return;
  lang = next; T = ALL[next];
  document.documentElement.lang = next;
  document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = word(e.dataset.t); });
  document.querySelectorAll("[data-t-aria-label]").forEach((e) => e.setAttribute("aria-label", word(e.dataset.tAriaLabel)));
  document.querySelectorAll("[data-t-placeholder]").forEach((e) => e.setAttribute("placeholder", word(e.dataset.tPlaceholder)));
  document.querySelectorAll("button.lang").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === next)));
  try { localStorage.setItem("clearground-lang", next); } catch (e) { /* private mode */ }
  if (card.dataset.props) showCard(JSON.parse(card.dataset.props));
  if (api.lastCheck) showAnswer(api.lastCheck);
}
document.querySelectorAll("button.lang").forEach((b) => b.addEventListener("click", () => setLanguage(b.dataset.lang)));
api.setLanguage = setLanguage;

/* -- the map ------------------------------------------------------------------------------ */
const STYLE = window.cleargroundStyle;
const protocol = new pmtiles.Protocol();
maplibregl.addProtocol("pmtiles", protocol.tile);
const HAZARD_LAYERS = ["hazards-fill", "hazards-point"];
let map = null;

function startMap() {
  const bbox = metadata.bbox || metadata.region || [22, 44, 40.5, 52.5];
  map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }] },
    bounds: [[bbox[0], bbox[1]], [bbox[2], bbox[3]]], fitBoundsOptions: { padding: 20 },
    maxZoom: 18, attributionControl: false
  });
  api.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");
  let tileLoaded = false;
  map.on("data", (e) => {
    if (tileLoaded || e.dataType !== "source" || e.sourceId !== "hazards" || !e.tile) return;
    tileLoaded = true;
    map.once("render", () => { performance.mark("clearground-first-tile"); api.firstTile = performance.now(); });
  });
  map.on("load", () => {
    map.addImage("sha-hatch", STYLE.hatch());
    map.addSource("admin", { type: "vector", url: "pmtiles://" + BASE + "admin.pmtiles" });
    map.addSource("hazards", { type: "vector", url: "pmtiles://" + BASE + "hazards.pmtiles" });
    map.addSource("route", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "admin-line", type: "line", source: "admin", "source-layer": "admin",
      paint: { "line-color": "#5f6b76", "line-width": ["match", ["get", "level"], 0, 2.5, 1, 1.6, 0.7] } });
    STYLE.hazardLayers("hazards", "hazards", "hazard_points").forEach((l) => map.addLayer(l));
    map.addLayer({ id: "hazards-hit", type: "line", source: "hazards", "source-layer": "hazards",
      filter: ["in", ["get", "id"], ["literal", []]], paint: { "line-color": "#000000", "line-width": 4 } });
    map.addLayer({ id: "route-line", type: "line", source: "route", paint: { "line-color": "#0d47a1", "line-width": 4 } });
    map.addLayer({ id: "route-points", type: "circle", source: "route", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 6, "circle-color": "#0d47a1", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
    const loading = document.querySelector("#map .loading");
    if (loading) loading.remove();
    setupDraw();
    api.ready = true;
  });
  map.on("click", (e) => {
    if (drawing) return;
    const found = map.queryRenderedFeatures(e.point, { layers: HAZARD_LAYERS });
    if (found.length) showCard(found[0].properties, somePosition(found[0].geometry));
  });
  HAZARD_LAYERS.forEach((id) => {
    map.on("mouseenter", id, () => { if (!drawing) map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { if (!drawing) map.getCanvas().style.cursor = ""; });
  });
}

/** A position of a tile feature's geometry: inside (or on) its hazard's extent, up to the
    tile's precision, so a small rectangle around it finds the hazard in hazards.fgb. */
function somePosition(g) {
  let c = g.coordinates;
  while (Array.isArray(c[0])) c = c[0];
  return c;
}

/** The hazards drawn in view, one per id (a test counts them; the keyboard lists them). */
const positions = new Map();
function renderedHazards() {
  const seen = new Map();
  map.queryRenderedFeatures({ layers: HAZARD_LAYERS }).forEach((f) => {
    if (seen.has(f.properties.id)) return;
    seen.set(f.properties.id, f.properties);
    positions.set(f.properties.id, somePosition(f.geometry));
  });
  return [...seen.values()];
}
api.renderedHazards = renderedHazards;

/* -- cards -------------------------------------------------------------------------------- */
const card = $("card");
/* The tiles carry only what the map draws by (id, status, classification): the rest of a card
   (name, area, admin P-code) comes from hazards.fgb, read by a range request on its spatial
   index around a point of the shape the map drew for it. */
const CARD_FIELDS = ["id", "name", "status", "classification", "area_m2", "admin_pcode"];
const details = new Map();
const NEAR_DEG = 0.01; // more than a tile unit at zoom 4 (360 / 16 / 4096 degrees)
async function cardDetails(id, at) {
  if (details.has(id)) return details.get(id);
  const [x, y] = at;
  const rect = { minX: x - NEAR_DEG, minY: y - NEAR_DEG, maxX: x + NEAR_DEG, maxY: y + NEAR_DEG };
  for await (const f of flatgeobuf.deserialize(BASE + "hazards.fgb", { rect })) {
    if (f.properties.id === id) { details.set(id, f.properties); return f.properties; }
  }
  return null;
}
function showCard(p, at) {
  const known = details.get(p.id);
  if (known) p = known;
  at = at || positions.get(p.id);
  if (!known && at) {
    const id = p.id;
    cardDetails(id, at).then((full) => {
      if (full && card.dataset.id === id && !card.hidden) showCard(full);
    }).catch((e) => api.errors.push(String(e)));
  }
  card.replaceChildren();
  const head = el("div", null, "card-head");
  head.appendChild(el("h2", word("hazard") + " " + p.id));
  const close = el("button", word("close"), "secondary");
  close.type = "button";
  close.addEventListener("click", () => { card.hidden = true; delete card.dataset.props; });
  head.appendChild(close);
  card.appendChild(head);
  const dl = el("dl");
  CARD_FIELDS.forEach((k) => {
    if (p[k] === undefined || p[k] === null || p[k] === "") return;
    const v = k === "status" ? (T.statuses[p[k]] || p[k]) :
      k === "area_m2" ? Number(p[k]).toLocaleString(lang === "uk" ? "uk-UA" : "en-GB", { maximumFractionDigits: 0 }) : p[k];
    dl.appendChild(el("dt", word(k)));
    dl.appendChild(el("dd", v));
  });
  card.appendChild(dl);
  card.hidden = false;
  card.dataset.id = p.id;
  card.dataset.props = JSON.stringify(p);
  card.dataset.full = String(details.has(p.id));
}
api.showCard = showCard;

$("list-in-view").addEventListener("click", () => {
  const list = $("in-view");
  list.replaceChildren();
  const found = renderedHazards().sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, 50);
  found.forEach((p) => {
    const b = el("button", p.id + (p.name ? " · " + p.name : ""), "link");
    b.type = "button";
    b.addEventListener("click", () => { showCard(p); card.focus(); });
    const li = el("li"); li.appendChild(b); list.appendChild(li);
  });
  if (!found.length) list.appendChild(el("li", word("none_in_view")));
});

/* -- search by admin area name or P-code (admin.json) ------------------------------------- */
let areas = [];
function findAreas(text) {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  return areas.filter((a) => String(a.pcode).toLowerCase().startsWith(q) ||
    String(a.name).toLowerCase().includes(q)).slice(0, 20);
}
api.findAreas = findAreas;
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const list = $("search-results");
  list.replaceChildren();
  const found = findAreas($("search").value);
  if (!found.length) { list.appendChild(el("li", word("search_none"))); return; }
  found.forEach((a) => {
    const b = el("button", a.name + " · " + a.pcode, "link");
    b.type = "button";
    b.addEventListener("click", () => map.fitBounds([[a.bbox[0], a.bbox[1]], [a.bbox[2], a.bbox[3]]], { padding: 30 }));
    const li = el("li"); li.appendChild(b); list.appendChild(li);
  });
  if (found.length === 1 && map) found[0] && list.querySelector("button").click();
});

/* -- the check ---------------------------------------------------------------------------- */
let drawing = false, draw = null;
const summary = $("check-summary"), messageEl = $("check-message"), hits = $("check-hazards"), hint = $("draw-hint");

function showRoute(geometry) {
  if (!map || !map.getSource("route")) return;
  map.getSource("route").setData(geometry ? { type: "Feature", properties: {}, geometry } : { type: "FeatureCollection", features: [] });
}

function showAnswer(a) {
  const buffer = a.buffer_m;
  let text;
  if (a.coverage === "no hazard records at all" && !a.covered) text = word("summary_no_data");
  else if (a.hazards.length) {
    text = fmt("summary_found", { buffer, n: a.hazards.length, crossed: a.hazards.filter((h) => h.distance_m === 0).length });
  } else text = a.covered ? fmt("summary_none", { buffer }) : word("summary_uncovered");
  if (a.hazards.length && !a.covered) text += " " + word("summary_uncovered");
  summary.textContent = text;
  summary.classList.toggle("hit", a.hazards.length > 0 || !a.covered);
  /* the message in the page's language (metadata.json messages_<lang>), else the publisher's English */
  const worded = a["message_" + lang];
  messageEl.textContent = worded || ((lang === "en" ? "" : word("answer_en") + " ") + a.message);
  messageEl.lang = worded ? lang : "en";
  hits.replaceChildren();
  a.hazards.forEach((h) => {
    const b = el("button", h.id + " · " + h.name + " · " + (T.statuses[h.status] || h.status) + " · " +
      h.classification + " · " + word("distance") + ": " + h.distance_m, "link");
    b.type = "button";
    b.addEventListener("click", () => { showCard(h); card.focus(); });
    const li = el("li"); li.appendChild(b); hits.appendChild(li);
  });
  if (map && map.getLayer("hazards-hit")) {
    map.setFilter("hazards-hit", ["in", ["get", "id"], ["literal", a.hazards.map((h) => h.id)]]);
  }
}

async function checkGeometry(geometry, buffer) {
  showRoute(geometry);
  summary.textContent = word("checking"); messageEl.textContent = ""; hits.replaceChildren();
  const t0 = performance.now();
  try {
    const b = buffer ?? (Number($("buffer").value === "" ? 200 : $("buffer").value));
    const answer = await check(geometry, { base: BASE, metadata, buffer_m: b });
    api.checkMs = performance.now() - t0;
    performance.measure("clearground-check", { start: t0, end: performance.now() });
    api.lastCheck = answer;
    showAnswer(answer);
    return answer;
  } catch (err) {
    /* a refusal in the page's language (metadata.json refusals_<lang>), else as it was said */
    const worded = err["message_" + lang];
    summary.textContent = word("check_failed") + " " + (worded || err.message);
    summary.classList.add("hit");
    if (!(err instanceof CheckError)) api.errors.push(String(err));
    return worded ? { error: err.message, ["error_" + lang]: worded } : { error: err.message };
  }
}
api.check = checkGeometry;

function setupDraw() {
  if (!window.terraDraw || !window.terraDrawMaplibreGlAdapter) return;
  draw = new terraDraw.TerraDraw({
    adapter: new terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter({ map }),
    modes: [new terraDraw.TerraDrawLineStringMode(), new terraDraw.TerraDrawPointMode()]
  });
  draw.start();
  draw.on("finish", (id) => {
    const feature = draw.getSnapshot().find((f) => f.id === id);
    setTimeout(() => { drawing = false; }, 0);
    draw.setMode("static");
    hint.hidden = true;
    if (feature) { draw.clear(); checkGeometry(feature.geometry); }
  });
  api.draw = draw;
}

function startDrawing(mode, hintKey) {
  if (!draw) return;
  draw.clear(); draw.setMode(mode); drawing = true;
  hint.textContent = word(hintKey); hint.hidden = false;
  $("map").focus();
}
$("draw-route").addEventListener("click", () => startDrawing("linestring", "draw_hint"));
$("draw-place").addEventListener("click", () => startDrawing("point", "place_hint"));
$("clear-route").addEventListener("click", () => {
  if (draw) { draw.clear(); draw.setMode("static"); }
  drawing = false; hint.hidden = true; showRoute(null); api.lastCheck = null;
  if (map.getLayer("hazards-hit")) map.setFilter("hazards-hit", ["in", ["get", "id"], ["literal", []]]);
  summary.textContent = ""; messageEl.textContent = ""; hits.replaceChildren();
});

$("locate").addEventListener("click", () => {
  if (!navigator.geolocation) { summary.textContent = word("locate_failed"); return; }
  summary.textContent = word("locating");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const g = { type: "Point", coordinates: [pos.coords.longitude, pos.coords.latitude] };
      map.easeTo({ center: g.coordinates, zoom: Math.max(map.getZoom(), 13) });
      checkGeometry(g);
    },
    (err) => { summary.textContent = word("locate_failed") + " " + err.message; },
    { enableHighAccuracy: true, timeout: 20000 }
  );
});

/** The track (or route, or waypoints) of a GPX file: each track segment a line. */
export function gpxGeometry(text) {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (doc.getElementsByTagName("parsererror").length) return null;
  const pts = (root, tag) => Array.from(root.getElementsByTagName(tag)).map((p) =>
    [parseFloat(p.getAttribute("lon")), parseFloat(p.getAttribute("lat"))]);
  let lines = Array.from(doc.getElementsByTagName("trkseg")).map((s) => pts(s, "trkpt")).filter((l) => l.length >= 2);
  if (!lines.length) lines = Array.from(doc.getElementsByTagName("rte")).map((r) => pts(r, "rtept")).filter((l) => l.length >= 2);
  if (lines.length === 1) return { type: "LineString", coordinates: lines[0] };
  if (lines.length > 1) return { type: "MultiLineString", coordinates: lines };
  const w = pts(doc, "wpt");
  if (w.length === 1) return { type: "Point", coordinates: w[0] };
  return w.length ? { type: "MultiPoint", coordinates: w } : null;
}
api.gpxGeometry = gpxGeometry;

async function checkFile(file) {
  const g = gpxGeometry(await file.text());
  if (!g) { summary.textContent = word("check_failed") + " " + word("no_route"); return null; }
  const b = g.type === "Point" ? null : boundsOfLine(g);
  if (b) map.fitBounds(b, { padding: 30, animate: false });
  return checkGeometry(g);
}
function boundsOfLine(g) {
  const all = g.type === "MultiLineString" ? g.coordinates.flat() : g.coordinates;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  return [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]];
}
$("route-file").addEventListener("change", (e) => { if (e.target.files[0]) checkFile(e.target.files[0]); });
const drop = $("drop");
["dragover", "dragenter"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
drop.addEventListener("drop", (e) => { e.preventDefault(); const f = e.dataTransfer.files[0]; if (f) checkFile(f); });

/* -- start: metadata.json, then the map, admin.json --------------------------------------- */
async function start() {
  metadata = await (await fetch(BASE + "metadata.json")).json();
  api.metadata = metadata;
  let saved = null;
  try { saved = localStorage.getItem("clearground-lang"); } catch (e) { /* private mode */ }
  if (saved && ALL[saved] && saved !== lang) setLanguage(saved);
  $("synthetic").hidden = !metadata.synthetic;
  $("as-of").textContent = metadata.as_of || metadata.published_at || "";
  if (metadata.buffer_m !== undefined) $("buffer").value = metadata.buffer_m;
  if (Array.isArray(metadata.downloads) && metadata.downloads.length) {
    const list = $("downloads");
    list.replaceChildren();
    metadata.downloads.forEach((d) => {
      const a = el("a", String(d.file).split("/").pop()); a.href = d.file;
      const li = el("li"); li.appendChild(a);
      li.appendChild(document.createTextNode(" (" + d.format + (d.size ? ", " + (d.size / 1e6).toFixed(1) + " MB" : "") + ")"));
      list.appendChild(li);
    });
  }
  startMap();
  try {
    let r = await fetch(BASE + "admin_index.json");
    if (!r.ok) r = await fetch(BASE + "admin.json");
    areas = await r.json();
    const dl = $("search-list");
    areas.slice(0, 500).forEach((a) => { const o = el("option"); o.value = a.pcode; o.label = a.name; dl.appendChild(o); });
  } catch (e) { areas = []; }
}
start().catch((err) => { api.errors.push(String(err)); summary.textContent = word("check_failed") + " " + err.message; });
