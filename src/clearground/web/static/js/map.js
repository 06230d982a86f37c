/* The map page: MapLibre over the server's vector tiles, cards, route checks, as-of view.
   Everything comes from this server (/tiles, /api/v1/check); nothing is fetched elsewhere unless
   the basemap_style_url setting names an online style. The map object is window.clearground.map. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.text;
  var STYLE = window.cleargroundStyle;  /* static/public/hazard_style.js: shared with the public map */
  var HAZARD_LAYERS = ["hazards-fill", "hazards-hatch", "hazards-line", "hazards-point"];
  var TOGGLES = {
    hazards: HAZARD_LAYERS, eo: ["eo-points"], accidents: ["accident-points"],
    admin: ["admin-fill", "admin-line"]
  };
  var CLICKABLE = ["accident-points", "eo-points", "hazards-point", "hazards-fill", "admin-fill"];

  function tiles(collection) {
    var url = location.origin + "/tiles/" + collection + "/{z}/{x}/{y}.mvt";
    if (cfg.as_of) url += "?as_of=" + encodeURIComponent(cfg.as_of);
    return [url];
  }

  var style = cfg.basemap_style_url || {
    version: 8, sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }]
  };
  var map = new maplibregl.Map({
    container: "map", style: style, bounds: cfg.bounds,
    fitBoundsOptions: { padding: 20 }, maxZoom: 20, attributionControl: false
  });
  window.clearground = window.clearground || {};
  window.clearground.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");

  var hatch = STYLE.hatch, statusColour = STYLE.statusColour;

  map.on("load", function () {
    map.addImage("sha-hatch", hatch());
    /* Tiles past z16 (a tile ~500 m a side, 0.1 m a tile unit) add no detail a hazard map
       needs: deeper zooms draw the z16 tile larger (overzoom) instead of asking the server for
       ever more tiles; admin areas stop at z14. Records lie in the operating region (every
       import checks it): no tile outside it is asked for. */
    var MAXZOOM = { admin_areas: 14, hazard_areas: 16, eo_items: 16, accidents: 16 };
    ["admin_areas", "hazard_areas", "eo_items", "accidents"].forEach(function (c) {
      var source = { type: "vector", tiles: tiles(c), minzoom: 0, maxzoom: MAXZOOM[c] };
      if (c !== "admin_areas" && cfg.region) source.bounds = cfg.region;
      map.addSource(c, source);
    });
    map.addSource("route", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "admin-fill", type: "fill", source: "admin_areas", "source-layer": "admin_areas",
      paint: { "fill-color": "#ffffff", "fill-opacity": 0.01 } });
    map.addLayer({ id: "admin-line", type: "line", source: "admin_areas", "source-layer": "admin_areas",
      paint: { "line-color": "#5f6b76",
        "line-width": ["match", ["get", "level"], 0, 2.5, 1, 1.6, 0.7] } });
    map.addLayer({ id: "hazards-fill", type: "fill", source: "hazard_areas", "source-layer": "hazard_areas",
      paint: { "fill-color": statusColour(), "fill-opacity": 0.45 } });
    map.addLayer({ id: "hazards-hatch", type: "fill", source: "hazard_areas", "source-layer": "hazard_areas",
      filter: ["==", ["get", "classification"], "SHA"], paint: { "fill-pattern": "sha-hatch" } });
    map.addLayer({ id: "hazards-line", type: "line", source: "hazard_areas", "source-layer": "hazard_areas",
      paint: { "line-color": statusColour(),
        "line-width": ["case", ["==", ["get", "classification"], "CHA"], 2.5, 1.5],
        "line-dasharray": ["case", ["==", ["get", "classification"], "CHA"], ["literal", [1, 0]], ["literal", [3, 2]]] } });
    /* a hazard too small to draw at this zoom comes as a point: show it as a dot */
    map.addLayer({ id: "hazards-point", type: "circle", source: "hazard_areas", "source-layer": "hazard_areas",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 4, "circle-color": statusColour(), "circle-stroke-color": "#000000", "circle-stroke-width": 1 } });
    map.addLayer({ id: "hazards-hit", type: "line", source: "hazard_areas", "source-layer": "hazard_areas",
      filter: ["in", ["get", "id"], ["literal", []]],
      paint: { "line-color": "#000000", "line-width": 4 } });
    map.addLayer({ id: "eo-points", type: "circle", source: "eo_items", "source-layer": "eo_items",
      paint: { "circle-radius": 5, "circle-color": "#212121", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
    map.addLayer({ id: "accident-points", type: "circle", source: "accidents", "source-layer": "accidents",
      paint: { "circle-radius": 6, "circle-color": "#ad1457", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
    map.addLayer({ id: "route-line", type: "line", source: "route",
      paint: { "line-color": "#0d47a1", "line-width": 4 } });
    map.addLayer({ id: "route-points", type: "circle", source: "route", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 6, "circle-color": "#0d47a1" } });
    window.clearground.ready = true;
    setupDraw();
    performance.mark("clearground:map-load");
    /* the performance timeline's "first rendered hazard" (benchmarks/browser_map.py reads it):
       the time of the render event whose frame drew one. The view is asked cell by cell (a 4 x 4
       grid, stopping at the first hazard): one query of the whole view would turn all of a
       low-zoom tile's 100,000 hazards into objects, seconds of the page's own thread. */
    var firstHazard = function () {
      var t = performance.now();
      var canvas = map.getCanvas(), w = canvas.clientWidth, h = canvas.clientHeight, n = 4;
      var layers = { layers: ["hazards-fill", "hazards-point"] }, found = false;
      for (var k = 0; k < n * n && !found; k++) {
        var i = k % n, j = Math.floor(k / n);
        found = map.queryRenderedFeatures(
          [[i * w / n, j * h / n], [(i + 1) * w / n, (j + 1) * h / n]], layers).length > 0;
      }
      if (!found) return;
      performance.mark("clearground:first-hazard", { startTime: t });
      map.off("render", firstHazard);
      map.off("idle", firstHazard);
    };
    map.on("render", firstHazard);
    map.on("idle", firstHazard);
  });

  /* -- layer toggles ------------------------------------------------------------------------ */
  document.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      TOGGLES[box.dataset.layer].forEach(function (id) {
        if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
      });
    });
  });

  /* -- cards ---------------------------------------------------------------------------------- */
  var card = document.getElementById("card");
  var KINDS = {
    "hazards-fill": { title: T.hazard, kind: "hazard", keys: ["id", "name", "status", "classification"] },
    "hazards-point": { title: T.hazard, kind: "hazard", keys: ["id", "name", "status", "classification"] },
    "eo-points": { title: T.eo, kind: "eo", keys: ["id", "category", "eo_type", "date"] },
    "accident-points": { title: T.accident, kind: "accident", keys: ["id", "date", "eo_type", "killed", "injured"] },
    "admin-fill": { title: T.admin, kind: null, keys: ["pcode", "name", "level"] }
  };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  /* A low-zoom hazard tile carries only id, status and classification (services/tiles.py:
     light tiles): the card then reads the rest of the record from the JSON API by its id. */
  var API = { hazard: "hazards" };

  function fillCard(what, p) {
    card.replaceChildren();
    card.appendChild(el("h2", what.title + (p.id ? " " + p.id : "")));
    var dl = el("dl");
    what.keys.forEach(function (k) {
      if (p[k] === undefined || p[k] === null || p[k] === "") return;
      var v = k === "status" ? (cfg.statuses[p[k]] || p[k]) : p[k];
      dl.appendChild(el("dt", T[k] || k));
      dl.appendChild(el("dd", v));
    });
    card.appendChild(dl);
    if (what.kind && cfg.signed_in && p.id) {
      var a = el("a", T.open_record);
      a.href = "/records/" + what.kind + "/" + encodeURIComponent(p.id);
      card.appendChild(a);
    }
    card.hidden = false;
    card.dataset.id = p.id || p.pcode || "";
  }

  function showCard(feature) {
    var what = KINDS[feature.layer.id];
    var p = feature.properties;
    fillCard(what, p);
    var missing = what.keys.some(function (k) { return !(k in p); });
    if (!(missing && API[what.kind] && p.id)) return Promise.resolve(p);
    var url = "/api/v1/" + API[what.kind] + "/" + encodeURIComponent(p.id);
    if (cfg.as_of) url += "?as_of=" + encodeURIComponent(cfg.as_of);
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (record) {
        if (!record || card.dataset.id !== p.id) return p;
        var full = {};
        what.keys.forEach(function (k) { full[k] = record[k] !== undefined ? record[k] : p[k]; });
        fillCard(what, full);
        return full;
      })
      .catch(function () { return p; });
  }
  window.clearground.showCard = showCard;

  map.on("click", function (e) {
    if (drawing) return;
    var found = map.queryRenderedFeatures(e.point, { layers: CLICKABLE.filter(function (id) { return map.getLayer(id); }) });
    if (found.length) showCard(found[0]);
  });
  CLICKABLE.slice(0, 4).forEach(function (id) {
    map.on("mouseenter", id, function () { if (!drawing) map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, function () { if (!drawing) map.getCanvas().style.cursor = ""; });
  });

  /* a keyboard way to the cards: list what is drawn in view, each a button */
  document.getElementById("list-in-view").addEventListener("click", function () {
    var list = document.getElementById("in-view");
    list.replaceChildren();
    var seen = {};
    var found = map.queryRenderedFeatures({ layers: CLICKABLE.slice(0, 4) });
    found.forEach(function (f) {
      var key = f.layer.id + ":" + f.properties.id;
      if (seen[key] || Object.keys(seen).length >= 50) return;
      seen[key] = true;
      var b = el("button", KINDS[f.layer.id].title + " " + f.properties.id + (f.properties.name ? " · " + f.properties.name : ""));
      b.type = "button";
      b.addEventListener("click", function () { showCard(f); card.focus(); });
      var li = el("li"); li.appendChild(b); list.appendChild(li);
    });
    if (!found.length) list.appendChild(el("li", T.none_in_view));
  });
  card.tabIndex = -1;

  /* -- route checks --------------------------------------------------------------------------- */
  var drawing = false, draw = null;
  var message = document.getElementById("check-message");
  var hits = document.getElementById("check-hazards");
  var coverage = document.getElementById("check-coverage");
  var hint = document.getElementById("draw-hint");

  function showRoute(geometry) {
    map.getSource("route").setData({ type: "Feature", properties: {}, geometry: geometry });
  }

  function showAnswer(answer) {
    /* the page's language: the server words the same message in it (?lang=, message_<lang>) */
    var worded = answer["message_" + cfg.lang];
    message.textContent = worded || answer.message;
    message.lang = worded ? cfg.lang : "en";
    message.classList.toggle("hit", answer.hazards.length > 0);
    /* what the database covers, in the page's language (coverage_<lang>) */
    var covers = answer.coverage === "no hazard records at all" ? "" /* the message says so */
      : answer["coverage_" + cfg.lang] || answer.coverage;
    coverage.textContent = covers ? T.covers + " " + covers : "";
    coverage.lang = answer["coverage_" + cfg.lang] ? cfg.lang : "en";
    coverage.hidden = !covers;
    hits.replaceChildren();
    answer.hazards.forEach(function (h) {
      var li = el("li");
      var label = h.id + " · " + h.name + " · " + (cfg.statuses[h.status] || h.status) + " · " +
        h.classification + " · " + T.distance + ": " + h.distance_m;
      if (cfg.signed_in) {
        var a = el("a", label); a.href = "/records/hazard/" + encodeURIComponent(h.id); li.appendChild(a);
      } else { li.textContent = label; }
      hits.appendChild(li);
    });
    map.setFilter("hazards-hit", ["in", ["get", "id"], ["literal", answer.hazards.map(function (h) { return h.id; })]]);
    window.clearground.lastCheck = answer;
  }

  function checkUrl() {
    var buffer = document.getElementById("buffer").value || "200";
    var url = "/api/v1/check?buffer_m=" + encodeURIComponent(buffer);
    if (cfg.as_of) url += "&as_of=" + encodeURIComponent(cfg.as_of);
    if (cfg.lang && cfg.lang !== "en") url += "&lang=" + encodeURIComponent(cfg.lang);
    return url;
  }

  function send(body, contentType) {
    message.textContent = T.checking;
    message.classList.remove("hit");
    coverage.hidden = true;
    hits.replaceChildren();
    var headers = {};
    if (contentType) headers["Content-Type"] = contentType;
    if (window.CLEARGROUND.csrf) headers["X-CSRF-Token"] = window.CLEARGROUND.csrf;
    return fetch(checkUrl(), { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (j) {
          /* a refusal in the page's language too (?lang=: problem+json's detail_<lang>) */
          if (!r.ok) throw new Error(j["detail_" + cfg.lang] || j.detail || r.statusText);
          showAnswer(j);
          return j;
        });
      })
      .catch(function (err) { message.textContent = T.check_failed + " " + err.message; });
  }

  function checkGeometry(geometry) {
    showRoute(geometry);
    return send(JSON.stringify(geometry), "application/geo+json");
  }
  window.clearground.checkGeometry = checkGeometry;

  function setupDraw() {
    if (!window.terraDraw || !window.terraDrawMaplibreGlAdapter) return;
    draw = new terraDraw.TerraDraw({
      adapter: new terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter({ map: map }),
      modes: [new terraDraw.TerraDrawLineStringMode()]
    });
    draw.start();
    draw.on("finish", function (id) {
      var feature = draw.getSnapshot().find(function (f) { return f.id === id; });
      setTimeout(function () { drawing = false; }, 0);  /* the finishing click opens no card */
      draw.setMode("static");
      hint.hidden = true;
      if (feature) {
        checkGeometry(feature.geometry);
        draw.clear();
      }
    });
    window.clearground.draw = draw;
  }

  document.getElementById("draw-route").addEventListener("click", function () {
    if (!draw) return;
    draw.clear();
    draw.setMode("linestring");
    drawing = true;
    hint.textContent = T.draw_hint;
    hint.hidden = false;
    document.getElementById("map").focus();
  });

  document.getElementById("clear-route").addEventListener("click", function () {
    if (draw) { draw.clear(); draw.setMode("static"); }
    drawing = false; hint.hidden = true;
    showRoute(null);
    map.getSource("route").setData({ type: "FeatureCollection", features: [] });
    map.setFilter("hazards-hit", ["in", ["get", "id"], ["literal", []]]);
    message.textContent = ""; hits.replaceChildren(); coverage.hidden = true;
  });

  function gpxGeometry(text) {  /* the track (or route, or points) of a GPX file, to draw it */
    var doc = new DOMParser().parseFromString(text, "application/xml");
    var pts = function (sel) {
      return Array.prototype.map.call(doc.getElementsByTagName(sel), function (p) {
        return [parseFloat(p.getAttribute("lon")), parseFloat(p.getAttribute("lat"))];
      });
    };
    var line = pts("trkpt");
    if (line.length < 2) line = pts("rtept");
    if (line.length >= 2) return { type: "LineString", coordinates: line };
    var w = pts("wpt");
    return w.length ? { type: "MultiPoint", coordinates: w } : null;
  }

  function geojsonGeometry(doc) {
    if (doc && doc.type === "FeatureCollection") doc = (doc.features || [])[0];
    if (doc && doc.type === "Feature") doc = doc.geometry;
    return doc && doc.type ? doc : null;
  }

  function fitTo(geometry) {  /* an uploaded route may lie anywhere: show it */
    var b = [180, 90, -180, -90];
    JSON.stringify(geometry.coordinates).match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number)
      .forEach(function (v, i) {
        var k = i % 2;
        b[k] = Math.min(b[k], v); b[k + 2] = Math.max(b[k + 2], v);
      });
    if (b[0] <= b[2]) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 15, duration: 0 });
  }

  document.getElementById("route-file").addEventListener("change", function (e) {
    var file = e.target.files[0];
    if (!file) return;
    file.text().then(function (text) {
      if (/\.gpx$/i.test(file.name) || /^\s*<\?xml|<gpx/i.test(text.slice(0, 200))) {
        var g = gpxGeometry(text);
        if (g) { showRoute(g); fitTo(g); }
        var form = new FormData();
        form.append("file", file, file.name);
        return send(form, null);
      }
      var geometry;
      try { geometry = geojsonGeometry(JSON.parse(text)); } catch (err) { geometry = null; }
      if (!geometry) { message.textContent = T.check_failed + " " + T.no_route; return; }
      fitTo(geometry);
      return checkGeometry(geometry);
    });
  });
})();
