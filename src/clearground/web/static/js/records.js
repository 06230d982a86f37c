/* Small maps on a record's page: where it lies, and each moved version's polygon before
   (dashed) and after (solid). Only the GeoJSON in the page; nothing fetched. */
(function () {
  "use strict";
  function bbox(geoms) {
    var b = [180, 90, -180, -90];
    function walk(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else { c.forEach(walk); }
    }
    geoms.forEach(function (g) { if (g) walk(g.coordinates); });
    if (b[0] === b[2]) { b[0] -= 0.005; b[2] += 0.005; }
    if (b[1] === b[3]) { b[1] -= 0.005; b[3] += 0.005; }
    return [[b[0], b[1]], [b[2], b[3]]];
  }
  function small(el, layers) {
    var map = new maplibregl.Map({
      container: el, bounds: bbox(layers.map(function (l) { return l.geometry; })),
      fitBoundsOptions: { padding: 24 }, attributionControl: false, interactive: true,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f1ea" } }] }
    });
    map.on("load", function () {
      layers.forEach(function (l, i) {
        var id = "g" + i;
        map.addSource(id, { type: "geojson", data: { type: "Feature", properties: {}, geometry: l.geometry } });
        if (l.geometry.type.indexOf("Point") >= 0) {
          map.addLayer({ id: id, type: "circle", source: id, paint: { "circle-radius": 6, "circle-color": l.colour } });
        } else {
          map.addLayer({ id: id + "f", type: "fill", source: id, paint: { "fill-color": l.colour, "fill-opacity": l.dash ? 0.08 : 0.3 } });
          map.addLayer({ id: id, type: "line", source: id, paint: Object.assign({ "line-color": l.colour, "line-width": 2 }, l.dash ? { "line-dasharray": [3, 2] } : {}) });
        }
      });
    });
    return map;
  }
  window.clearground = window.clearground || {};
  var maps = window.clearground.smallMaps = [];
  var where = document.getElementById("record-map");
  if (where) maps.push(small(where, [{ geometry: JSON.parse(where.dataset.geometry), colour: "#c62828" }]));
  document.querySelectorAll(".before-after").forEach(function (el) {
    maps.push(small(el, [
      { geometry: JSON.parse(el.dataset.before), colour: "#5f6b76", dash: true },
      { geometry: JSON.parse(el.dataset.after), colour: "#c62828" }
    ].filter(function (l) { return l.geometry; })));  /* after: none when nothing remains */
  });
})();
