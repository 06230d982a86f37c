/* The review page's small map: the submission and its likely duplicates side by side (and an
   activity's hazard), from the page itself; nothing is fetched elsewhere. */
(function () {
  "use strict";
  var el = document.getElementById("review-map");
  if (!el || !window.maplibregl) return;
  var cfg = JSON.parse(document.getElementById("review-map-config").textContent);
  var map = new maplibregl.Map({
    container: el, bounds: cfg.bounds, fitBoundsOptions: { padding: 30, maxZoom: 17 },
    attributionControl: false,
    style: { version: 8, sources: {}, layers: [
      { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }] }
  });
  window.clearground = window.clearground || {};
  window.clearground.reviewMap = map;
  var colour = ["match", ["get", "role"], "submission", cfg.colours.submission,
    "duplicate", cfg.colours.duplicate, cfg.colours.hazard];
  map.on("load", function () {
    map.addSource("places", { type: "geojson", data: cfg.places });
    var polygons = ["==", ["geometry-type"], "Polygon"];
    map.addLayer({ id: "places-fill", type: "fill", source: "places",
      filter: ["any", polygons, ["==", ["geometry-type"], "MultiPolygon"]],
      paint: { "fill-color": colour, "fill-opacity": 0.25 } });
    map.addLayer({ id: "places-line", type: "line", source: "places",
      filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": colour, "line-width": 2 } });
    map.addLayer({ id: "places-point", type: "circle", source: "places",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": colour, "circle-radius": 6, "circle-stroke-color": "#fff",
        "circle-stroke-width": 1.5 } });
    el.setAttribute("data-ready", "yes");
  });
})();
