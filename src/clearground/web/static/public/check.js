/* The route and place check, in the browser, over the published files: the same answer as
   `clearground check --format json` (services/check.py), without a server.

   - Hazards: only those near the query are read from hazards.fgb, by HTTP range requests
     (FlatGeobuf's spatial index: `deserialize(url, {rect})`), one rectangle per stretch of the
     route (about 0.2 degree), each the stretch's box grown by the buffer as the store grows it
     (analysis/proximity.py degree_margin).
   - Distances as analysis/proximity.py measures them: edges straight in lon/lat, densified to
     0.01 degree (as shapely.segmentize), then PROJ's azimuthal equidistant projection on WGS 84
     centred on the whole degree nearest the query's centroid (rounded half to even, as Python
     rounds), which PROJ computes with GeographicLib's geodesics: the same geodesics here
     (geographiclib-geodesic). Planar distances as GEOS computes them. So distances agree with
     the CLI's to floating-point noise; both are rounded to 0.1 m, and metadata.json's
     distance_tolerance_m (0.1 m) bounds the difference of the rounded values.
   - Nearest first; equal distances in id order (the store's order).
   - Coverage as services/coverage.py decides it, from coverage.fgb (the covered polygons): a
     place outside, or a database without hazard records, never gets "No recorded hazard".
   - The message from metadata.json's `messages` (services/check.py MESSAGES), never restated.
   A plain ES module, no build step. */

const A = 6378137.0;
const F = 1 / 298.257223563;
const E2 = F * (2 - F);
export const MAX_SEGMENT_DEG = 0.01;
export const DISTANCE_TOLERANCE_M = 0.1;
const CHUNK_DEG = 0.2;

/* -- numbers as Python formats them ------------------------------------------------------- */

/** Python's round(x) of a float: half to even. */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

/** Python's format(x, "g"). */
export function formatG(x) {
  if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = Number(x.toExponential(5).split("e")[1]);
  if (exp < -4 || exp >= 6) {
    let [m, e] = x.toExponential(5).split("e");
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const n = Number(e);
    return m + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
  }
  let s = x.toFixed(Math.max(0, 5 - exp));
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** Python's format(x, ",.Nf"). */
export function formatFixed(x, digits, commas) {
  const s = Math.abs(x).toFixed(digits);
  let [int, frac] = s.split(".");
  if (commas) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = x < 0 && Number(s) !== 0 ? "-" : "";
  return sign + int + (frac !== undefined ? "." + frac : "");
}

function round(x, digits) { return Number(x.toFixed(digits)); }

/** Python's str.format for the specs services/check.py MESSAGES use ("g", ",.2f", ".5f"). */
export function fill(template, values, local) {
  const put = (k, text) => (local && QUANTITIES.has(k) ? local(text) : text);
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (m, k, spec) => {
    if (!(k in values)) return m;
    const v = values[k];
    if (!spec) return put(k, typeof v === "number" && !Number.isInteger(v) ? formatG(v) : String(v));
    if (spec === "g") return put(k, formatG(v));
    const f = /^(,?)\.(\d+)f$/.exec(spec);
    if (f) return put(k, formatFixed(v, Number(f[2]), f[1] === ","));
    throw new Error("format spec " + spec + " is not known here");
  });
}

/* Arguments that are quantities: worded with the language's separators in another language
   (web/pages/check_messages.py QUANTITIES); coordinates are not. */
const QUANTITIES = new Set(["buffer_m", "gone_km", "total_km", "n", "crossed", "more"]);

/** A number as Python formats it, in Ukrainian: 1,234.56 -> 1 234,56 (no-break space). */
export function ukrainianNumber(text) {
  return text.replace(/[,.]/g, (c) => (c === "," ? "\u00a0" : ","));
}

/** The template of "n hazards found": Ukrainian's three plural forms when the templates have
    them (metadata.json messages_uk: found_one, found_few, found_many), else English's two. */
function foundTemplate(M, n) {
  if (M.found_few === undefined) return n === 1 ? M.found_one : M.found_many;
  if (n % 10 === 1 && n % 100 !== 11) return M.found_one;
  if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20)) return M.found_few;
  return M.found_many;
}

/* -- geometry in lon/lat ------------------------------------------------------------------ */

/** A GeoJSON geometry as {points: [[x,y]], lines: [[[x,y]...]], polygons: [[ring...]]}. */
export function partsOf(g, out = { points: [], lines: [], polygons: [] }) {
  if (!g) return out;
  const c = g.coordinates;
  switch (g.type) {
    case "Point": out.points.push(c.slice(0, 2)); break;
    case "MultiPoint": c.forEach((p) => out.points.push(p.slice(0, 2))); break;
    case "LineString": out.lines.push(c.map((p) => p.slice(0, 2))); break;
    case "MultiLineString": c.forEach((l) => out.lines.push(l.map((p) => p.slice(0, 2)))); break;
    case "Polygon": out.polygons.push(c.map((r) => r.map((p) => p.slice(0, 2)))); break;
    case "MultiPolygon":
      c.forEach((poly) => out.polygons.push(poly.map((r) => r.map((p) => p.slice(0, 2)))));
      break;
    case "GeometryCollection": g.geometries.forEach((x) => partsOf(x, out)); break;
    default: throw new Error("unknown geometry type " + g.type);
  }
  return out;
}

/** shapely.segmentize(line, maxDeg): GEOS's Densifier on one ring or line. */
export function densify(coords, maxDeg = MAX_SEGMENT_DEG) {
  if (coords.length < 2) return coords.slice();
  const out = [coords[0]];
  for (let i = 1; i < coords.length; i++) {
    const [x0, y0] = coords[i - 1], [x1, y1] = coords[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len > maxDeg) {
      const n = Math.ceil(len / maxDeg);
      const step = len / n;
      for (let j = 1; j < n; j++) {
        const f = (j * step) / len;
        out.push([x0 + f * (x1 - x0), y0 + f * (y1 - y0)]);
      }
    }
    out.push(coords[i]);
  }
  return out;
}

function boundsOf(parts) {
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  const add = (p) => {
    if (p[0] < minx) minx = p[0]; if (p[0] > maxx) maxx = p[0];
    if (p[1] < miny) miny = p[1]; if (p[1] > maxy) maxy = p[1];
  };
  parts.points.forEach(add);
  parts.lines.forEach((l) => l.forEach(add));
  parts.polygons.forEach((poly) => poly.forEach((r) => r.forEach(add)));
  return [minx, miny, maxx, maxy];
}

/** GEOS's centroid of the query (points: their mean; lines: length-weighted). */
function centroid(q) {
  let sx = 0, sy = 0, total = 0;
  q.lines.forEach((l) => {
    for (let i = 1; i < l.length; i++) {
      const len = Math.hypot(l[i][0] - l[i - 1][0], l[i][1] - l[i - 1][1]);
      sx += len * (l[i][0] + l[i - 1][0]) / 2; sy += len * (l[i][1] + l[i - 1][1]) / 2;
      total += len;
    }
  });
  if (total > 0) return [sx / total, sy / total];
  const pts = q.points.concat(...q.lines);
  pts.forEach((p) => { sx += p[0]; sy += p[1]; });
  return [sx / pts.length, sy / pts.length];
}

export function metresPerDegree(lat) {
  const phi = lat * Math.PI / 180;
  const w = Math.sqrt(1 - E2 * Math.sin(phi) ** 2);
  return [Math.PI / 180 * A * Math.cos(phi) / w, Math.PI / 180 * A * (1 - E2) / w ** 3];
}

/** analysis/proximity.py degree_margin: bounds grown by at least `metres` on every side. */
export function degreeMargin([minx, miny, maxx, maxy], metres) {
  const mLat = metresPerDegree(0)[1];
  const dy = metres / mLat * 1.01 + 1e-9;
  const worst = Math.min(89.9, Math.max(Math.abs(miny), Math.abs(maxy)) + dy);
  const dx = Math.min(360, metres / metresPerDegree(worst)[0] * 1.01 + 1e-9);
  return [minx - dx, Math.max(-90, miny - dy), maxx + dx, Math.min(90, maxy + dy)];
}

/* -- the azimuthal equidistant projection (PROJ's aeqd, ellipsoidal) ---------------------- */

function aeqd(geod, lon0, lat0) {
  return (p) => {
    if (Math.abs(p[0] - lon0) < 1e-10 && Math.abs(p[1] - lat0) < 1e-10) return [0, 0];
    const r = geod.Inverse(lat0, lon0, p[1], p[0]);
    const az = r.azi1 * Math.PI / 180;
    return [r.s12 * Math.sin(az), r.s12 * Math.cos(az)];
  };
}

/* -- planar distances as GEOS computes them ----------------------------------------------- */

function pointSeg(p, a, b) {
  if (a[0] === b[0] && a[1] === b[1]) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const r = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2;
  if (r <= 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  if (r >= 1) return Math.hypot(p[0] - b[0], p[1] - b[1]);
  const s = ((a[1] - p[1]) * dx - (a[0] - p[0]) * dy) / len2;
  return Math.abs(s) * Math.sqrt(len2);
}

function orient(a, b, c) {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSeg(a, b, p) {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}

function segsMeet(a, b, c, d) {
  const o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (o1 === 0 && onSeg(a, b, c)) || (o2 === 0 && onSeg(a, b, d)) ||
    (o3 === 0 && onSeg(c, d, a)) || (o4 === 0 && onSeg(c, d, b));
}

function segSeg(a, b, c, d) {
  if (segsMeet(a, b, c, d)) return 0;
  return Math.min(pointSeg(a, c, d), pointSeg(b, c, d), pointSeg(c, a, b), pointSeg(d, a, b));
}

/** Inside a polygon (rings: outer, holes), boundary included. */
function inPolygon(p, rings) {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[j], b = ring[i];
      if (orient(a, b, p) === 0 && onSeg(a, b, p)) return true;
      if ((a[1] > p[1]) !== (b[1] > p[1]) &&
          p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
    }
  }
  return inside;
}

function boxOf(coords) {
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  for (const p of coords) {
    if (p[0] < minx) minx = p[0]; if (p[0] > maxx) maxx = p[0];
    if (p[1] < miny) miny = p[1]; if (p[1] > maxy) maxy = p[1];
  }
  return [minx, miny, maxx, maxy];
}

/** The projected query: points, and segments with their boxes. */
function projectedQuery(q, project) {
  const points = q.points.map(project);
  const segs = [];
  q.lines.forEach((l) => {
    const d = densify(l).map(project);
    if (d.length === 1) points.push(d[0]);
    for (let i = 1; i < d.length; i++) segs.push([d[i - 1], d[i], boxOf([d[i - 1], d[i]])]);
  });
  return { points, segs };
}

/** The distance from the projected query to a projected polygonal hazard, or Infinity when
    it is certainly beyond `limit` (only parts of the query within `limit` of the hazard's box
    are measured: the others are farther than `limit` from it). */
function distanceTo(pq, polygons, limit) {
  let best = Infinity;
  for (const rings of polygons) {
    const box = boxOf(rings[0]);
    const grown = [box[0] - limit, box[1] - limit, box[2] + limit, box[3] + limit];
    const near = (b) => b[0] <= grown[2] && b[2] >= grown[0] && b[1] <= grown[3] && b[3] >= grown[1];
    const pts = pq.points.filter((p) => near([p[0], p[1], p[0], p[1]]));
    const segs = pq.segs.filter((s) => near(s[2]));
    if (!pts.length && !segs.length) continue;
    for (const p of pts) if (inPolygon(p, rings)) return 0;
    for (const s of segs) if (inPolygon(s[0], rings) || inPolygon(s[1], rings)) return 0;
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i++) {
        const a = ring[i - 1], b = ring[i];
        for (const p of pts) best = Math.min(best, pointSeg(p, a, b));
        for (const s of segs) {
          const d = segSeg(s[0], s[1], a, b);
          if (d === 0) return 0;
          if (d < best) best = d;
        }
      }
    }
  }
  return best;
}

/* -- what the data covers (services/coverage.py uncovered_parts) -------------------------- */

function inAny(p, polygons) { return polygons.some((rings) => inPolygon(p, rings)); }

/** Where segment a-b crosses segment c-d, as a fraction along a-b (none if parallel). */
function crossing(a, b, c, d) {
  const rx = b[0] - a[0], ry = b[1] - a[1], sx = d[0] - c[0], sy = d[1] - c[1];
  const den = rx * sy - ry * sx;
  if (den === 0) {  /* collinear: the ends of each within the other */
    const len2 = rx * rx + ry * ry;
    if (len2 === 0 || orient(a, b, c) !== 0) return [];
    return [c, d].map((p) => ((p[0] - a[0]) * rx + (p[1] - a[1]) * ry) / len2)
      .filter((t) => t > 0 && t < 1);
  }
  const t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / den;
  const u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / den;
  return t > 0 && t < 1 && u >= 0 && u <= 1 ? [t] : [];
}

function geodesicLength(geod, line) {
  const d = densify(line);
  let s = 0;
  for (let i = 1; i < d.length; i++) s += geod.Inverse(d[i - 1][1], d[i - 1][0], d[i][1], d[i][0]).s12;
  return s;
}

/** The pieces of the query outside `polygons` (lon/lat), in order: {start, end, length_m}. */
export function uncoveredParts(geod, q, polygons) {
  const out = [];
  q.points.forEach((p) => { if (!inAny(p, polygons)) out.push({ start: p, end: p, length_m: 0 }); });
  const edges = [];
  polygons.forEach((rings) => rings.forEach((r) => {
    for (let i = 1; i < r.length; i++) edges.push([r[i - 1], r[i], boxOf([r[i - 1], r[i]])]);
  }));
  q.lines.forEach((line) => {
    let current = null;
    const close = () => {
      if (current) out.push({ start: current[0], end: current[current.length - 1],
        length_m: geodesicLength(geod, current) });
      current = null;
    };
    for (let i = 1; i < line.length; i++) {
      const a = line[i - 1], b = line[i], box = boxOf([a, b]);
      const ts = [0, 1];
      for (const e of edges) {
        const eb = e[2];
        if (eb[0] > box[2] || eb[2] < box[0] || eb[1] > box[3] || eb[3] < box[1]) continue;
        ts.push(...crossing(a, b, e[0], e[1]));
      }
      ts.sort((x, y) => x - y);
      const at = (t) => (t === 0 ? a : t === 1 ? b : [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
      for (let k = 1; k < ts.length; k++) {
        if (ts[k] === ts[k - 1]) continue;
        const p0 = at(ts[k - 1]), p1 = at(ts[k]);
        const mid = [(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2];
        if (inAny(mid, polygons)) { close(); continue; }
        if (!current) current = [p0];
        current.push(p1);
      }
    }
    close();
  });
  return out.filter((u) => isFinite(u.length_m));
}

/* -- reading the published files ---------------------------------------------------------- */

async function features(deserialize, url, rect) {
  const found = [];
  const r = { minX: rect[0], minY: rect[1], maxX: rect[2], maxY: rect[3] };
  for await (const f of deserialize(url, { rect: r })) found.push(f);
  return found;
}

/** The rectangles to read hazards in: one per stretch of about CHUNK_DEG of the query. */
function rectangles(q, buffer) {
  const rects = [];
  const pts = q.points.map((p) => [p]);
  q.lines.forEach((l) => {
    let chunk = [], box = null;
    densify(l, CHUNK_DEG / 4).forEach((p) => {
      const next = box ? [Math.min(box[0], p[0]), Math.min(box[1], p[1]),
        Math.max(box[2], p[0]), Math.max(box[3], p[1])] : [p[0], p[1], p[0], p[1]];
      if (box && (next[2] - next[0] > CHUNK_DEG || next[3] - next[1] > CHUNK_DEG)) {
        pts.push(chunk); chunk = [chunk[chunk.length - 1]];
        box = boxOf(chunk.concat([p]));
      } else { box = next; }
      chunk.push(p);
    });
    if (chunk.length) pts.push(chunk);
  });
  pts.forEach((c) => rects.push(degreeMargin(boxOf(c), buffer)));
  return rects;
}

/** Run `jobs` (functions returning promises), at most `n` at a time. */
async function pooled(jobs, n) {
  const results = new Array(jobs.length);
  let next = 0;
  async function worker() {
    while (next < jobs.length) { const i = next++; results[i] = await jobs[i](); }
  }
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return results;
}

/* -- the check ---------------------------------------------------------------------------- */

function swapped(q, region) {
  if (!region) return null;
  const [x0, y0, x1, y1] = region;
  const inside = (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  const all = q.points.concat(...q.lines);
  if (!all.length || all.some((p) => inside(p[0], p[1]))) return null;
  if (!all.every((p) => inside(p[1], p[0]))) return null;
  return "likely swapped lat/lon: (" + formatG(all[0][0]) + ", " + formatG(all[0][1]) +
    ") read as lon, lat lies outside the operating region, and swapped it lies inside; " +
    "write coordinates as lon, lat";
}

export class CheckError extends Error {}

function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

/** A refusal (services/check.py's English) in a language: the first of metadata.json's
    refusals_<lang> templates (English, "{}" a value -> translation, "{0}" ...) it matches,
    each value that is itself a refusal worded too; null when none matches. */
export function wordRefusal(T, text) {
  for (const [en, tr] of Object.entries(T || {})) {
    const m = text.match(new RegExp("^" + en.split("{}").map(escapeRe).join("(.+?)") + "$", "s"));
    if (m) return tr.replace(/\{(\d+)\}/g, (_, i) => wordRefusal(T, m[+i + 1]) || m[+i + 1]);
  }
  return null;
}

/** A CheckError with `message_<lang>` for each language metadata.json words refusals in. */
function refusal(metadata, text) {
  const err = new CheckError(text);
  (metadata.languages || []).forEach((lang) => {
    const worded = lang === "en" ? null : wordRefusal(metadata["refusals_" + lang], text);
    if (worded) err["message_" + lang] = worded;
  });
  return err;
}

const PIECES_NAMED = 3;  /* services/check.py PIECES_NAMED */

function message(M, { covered, noHazards, isPoint, what, n, crossed, buffer, uncovered, total }, local) {
  if (noHazards) return M.no_hazards;
  const f = (t, v) => fill(t, v, local);
  const found = () => f(foundTemplate(M, n), { n, crossed, buffer_m: buffer });
  if (covered) return n ? found() : f(M.no_hazard, { buffer_m: buffer });
  const gone = uncovered.reduce((s, u) => s + u.length_m, 0);
  if (isPoint || gone >= total * (1 - 1e-9)) {
    const place = isPoint ? M.place_point : M.place_route;
    if (!n) return f(M.not_covered, { place, what });
    return f(M.found_outside, { found: found(), place, what });
  }
  let pieces = uncovered.slice(0, PIECES_NAMED).map((u) => f(M.piece, {
    from_lon: u.start[0], from_lat: u.start[1], to_lon: u.end[0], to_lat: u.end[1]
  })).join("; ");
  if (uncovered.length > PIECES_NAMED) {
    pieces += f(M.pieces_more, { more: uncovered.length - PIECES_NAMED });
  }
  const partly = f(M.partly, { what, pieces, gone_km: gone / 1000, total_km: total / 1000 });
  if (n) return f(M.partly_found, { partly, found: found() });
  return f(M.partly_none, { partly, buffer_m: buffer });
}

/** `message_<lang>` for each language metadata.json has templates for (messages_uk, ...):
    the same message in that language, the coverage text from coverage_<lang>. */
function messagesIn(metadata, facts) {
  const out = {};
  (metadata.languages || []).forEach((lang) => {
    const M = metadata["messages_" + lang];
    if (lang === "en" || !M) return;
    const what = facts.what === metadata.coverage && metadata["coverage_" + lang] !== undefined
      ? metadata["coverage_" + lang] : facts.what;
    out["message_" + lang] = message(M, { ...facts, what }, lang === "uk" ? ukrainianNumber : null);
  });
  return out;
}

/** `coverage_<lang>`: what the data covers (the answer's `coverage`) in each language
    metadata.json words it in (coverage_uk, ...), as the server's `lang=uk` answer has it. */
function coverageIn(metadata, coverage) {
  const out = {};
  (metadata.languages || []).forEach((lang) => {
    const worded = metadata["coverage_" + lang];
    if (lang !== "en" && worded !== undefined && coverage === metadata.coverage) {
      out["coverage_" + lang] = worded;
    }
  });
  return out;
}

/**
 * Check a GeoJSON geometry (point, line, or several) against the published files in `base`
 * (a URL ending in "/"), with `metadata` (metadata.json). Returns the JSON of
 * `clearground check --format json`, plus `distance_tolerance_m` and `fetched` (features read).
 */
export async function check(geometry, { base, metadata, buffer_m, deserialize, geodesic } = {}) {
  deserialize = deserialize || globalThis.flatgeobuf.deserialize;
  geodesic = geodesic || globalThis.geodesic;
  const geod = geodesic.Geodesic.WGS84;
  const buffer = buffer_m === undefined || buffer_m === null ? (metadata.buffer_m ?? 200) : Number(buffer_m);
  if (!isFinite(buffer) || buffer < 0) {
    throw refusal(metadata, "--buffer " + buffer_m + ": must be a distance in metres, 0 or more");
  }
  const q = partsOf(geometry);
  if (q.polygons.length) throw refusal(metadata, "a route is a line or a place a point, not an area");
  const all = q.points.concat(...q.lines);
  if (!all.length) throw refusal(metadata, "no route, track or place");
  if (!all.every((p) => isFinite(p[0]) && isFinite(p[1]) && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90)) {
    throw refusal(metadata, "coordinates outside lon/lat range");
  }
  const isPoint = !q.lines.length;
  const why = swapped(q, metadata.region);
  if (why) throw refusal(metadata, (isPoint ? "--point" : "route") + ": " + why);
  const bounds = boundsOf(q);
  if (bounds[2] - bounds[0] > 180) {
    throw refusal(metadata, "route: longitudes span " + formatG(bounds[0]) + " to " + formatG(bounds[2]) +
      ": it crosses the antimeridian, which in lon/lat is a line round the globe; split it at 180 degrees");
  }
  /* hazards near the query */
  const rects = rectangles(q, buffer);
  const batches = await pooled(rects.map((r) => () => features(deserialize, base + "hazards.fgb", r)), 4);
  const byId = new Map();
  let fetched = 0;
  batches.forEach((fs) => fs.forEach((f) => { fetched++; byId.set(f.properties.id, f); }));
  const c = centroid(q);
  const project = aeqd(geod, roundHalfEven(c[0]), roundHalfEven(c[1]));
  const pq = projectedQuery(q, project);
  const hits = [];
  for (const f of byId.values()) {
    const parts = partsOf(f.geometry);
    const polygons = parts.polygons.map((rings) => rings.map((r) => densify(r).map(project)));
    const d = distanceTo({ points: pq.points, segs: pq.segs }, polygons, buffer);
    if (d <= buffer) hits.push([d, f.properties]);
  }
  hits.sort((x, y) => x[0] - y[0] || (x[1].id < y[1].id ? -1 : x[1].id > y[1].id ? 1 : 0));
  const hazards = hits.map(([d, p]) => ({
    id: p.id, name: p.name, status: String(p.status), classification: String(p.classification),
    distance_m: round(d, 1)
  }));
  const crossed = hits.filter((h) => h[0] === 0).length;
  /* what the data covers */
  const cov = await features(deserialize, base + "coverage.fgb", bounds);
  const polygons = [];
  let what = metadata.coverage;
  cov.forEach((f) => {
    partsOf(f.geometry).polygons.forEach((p) => polygons.push(p));
    if (what === undefined && f.properties && f.properties.what) what = f.properties.what;
  });
  const uncovered = uncoveredParts(geod, q, polygons);
  const noHazards = !hazards.length && (metadata.no_hazards === true || Number(metadata.hazards) === 0);
  const covered = !uncovered.length && !noHazards;
  const total = isPoint ? 0 : q.lines.reduce((s, l) => s + geodesicLength(geod, l), 0);
  const M = metadata.messages;
  const facts = { covered, noHazards, isPoint, what, n: hazards.length, crossed, buffer, uncovered, total };
  const coverage = noHazards ? (M.coverage_no_hazards || "no hazard records at all") : what;
  return {
    buffer_m: buffer,
    hazards,
    message: message(M, facts),
    ...messagesIn(metadata, facts),
    as_of: metadata.as_of ?? null,
    distance_method: metadata.check_distance_method ?? metadata.distance_method,
    covered,
    coverage,
    ...coverageIn(metadata, coverage),
    uncovered: uncovered.map((u) => ({
      from: [round(u.start[0], 6), round(u.start[1], 6)],
      to: [round(u.end[0], 6), round(u.end[1], 6)],
      length_m: round(u.length_m, 1)
    })),
    distance_tolerance_m: metadata.distance_tolerance_m ?? DISTANCE_TOLERANCE_M,
    fetched
  };
}
