/* The forms' map: draw the polygon (or place the point) with Terra Draw on MapLibre; the shape
   goes into the form's hidden "geometry" field as GeoJSON, which the server checks like any
   import. The recorded hazards are shown from this server's vector tiles; nothing is fetched
   elsewhere. Without JavaScript the form still works: type lon/lat or upload a file. */
(function () {
  "use strict";
  var el = document.getElementById("form-map");
  if (!el || !window.maplibregl) return;
  var cfg = JSON.parse(document.getElementById("form-map-config").textContent);
  var input = document.getElementById("f-geometry");
  var lon = document.getElementById("f-lon"), lat = document.getElementById("f-lat");
  var polygon = el.getAttribute("data-geometry-type") === "polygon";
  var style = cfg.basemap_style_url || {
    version: 8, sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }]
  };
  var map = new maplibregl.Map({
    container: el, style: style, bounds: cfg.bounds, fitBoundsOptions: { padding: 30 },
    maxZoom: 20, attributionControl: false
  });
  window.clearground = window.clearground || {};
  window.clearground.formMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");

  function write(geometry) {
    input.value = geometry ? JSON.stringify(geometry) : "";
    if (!polygon && geometry && lon && lat) {
      lon.value = geometry.coordinates[0].toFixed(6);
      lat.value = geometry.coordinates[1].toFixed(6);
    }
    el.setAttribute("data-drawn", geometry ? "yes" : "no");
  }

  map.on("load", function () {
    map.addSource("admin_areas", {
      type: "vector", tiles: [location.origin + "/tiles/admin_areas/{z}/{x}/{y}.mvt"],
      minzoom: 0, maxzoom: 22
    });
    map.addLayer({ id: "admin-line", type: "line", source: "admin_areas",
      "source-layer": "admin_areas", paint: { "line-color": "#5f6b76",
        "line-width": ["match", ["get", "level"], 0, 2.5, 1, 1.6, 0.7] } });
    map.addSource("hazard_areas", {
      type: "vector", tiles: [location.origin + "/tiles/hazard_areas/{z}/{x}/{y}.mvt"],
      minzoom: 0, maxzoom: 22
    });
    map.addLayer({ id: "hazards-fill", type: "fill", source: "hazard_areas",
      "source-layer": "hazard_areas", paint: { "fill-color": "#c62828", "fill-opacity": 0.2 } });
    map.addLayer({ id: "hazards-line", type: "line", source: "hazard_areas",
      "source-layer": "hazard_areas", paint: { "line-color": "#c62828", "line-width": 1.5 } });
    if (cfg.hazard) {
      map.addSource("chosen", { type: "geojson", data: cfg.hazard });
      map.addLayer({ id: "chosen-line", type: "line", source: "chosen",
        paint: { "line-color": "#000000", "line-width": 2.5, "line-dasharray": [2, 1] } });
    }
    var TD = window.terraDraw, mode = polygon ? "polygon" : "point";
    var draw = new TD.TerraDraw({
      adapter: new window.terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter({ map: map }),
      modes: [polygon ? new TD.TerraDrawPolygonMode() : new TD.TerraDrawPointMode()]
    });
    draw.start();
    draw.setMode(mode);
    window.clearground.formDraw = draw;
    if (input.value) {
      try {
        var g = JSON.parse(input.value);
        var parts = g.type === "MultiPolygon" ? g.coordinates.map(function (c) {
          return { type: "Polygon", coordinates: c };
        }) : [g];
        draw.addFeatures(parts.map(function (p) {
          return { type: "Feature", geometry: p, properties: { mode: mode } };
        }));
      } catch (e) { /* a shape the drawing cannot show: the server says what is wrong */ }
    }
    draw.on("finish", function (id) {
      var features = draw.getSnapshot().filter(function (f) {
        return f.geometry.type === (polygon ? "Polygon" : "Point");
      });
      if (!polygon) {  /* one point: the newest */
        var old = features.filter(function (f) { return f.id !== id; }).map(function (f) { return f.id; });
        if (old.length) draw.removeFeatures(old);
        features = features.filter(function (f) { return f.id === id; });
      }
      if (!features.length) return write(null);
      if (features.length === 1) return write(features[0].geometry);
      write({ type: "MultiPolygon", coordinates: features.map(function (f) { return f.geometry.coordinates; }) });
    });
    document.getElementById("clear-drawing").addEventListener("click", function () {
      draw.clear();
      write(null);
    });
    el.setAttribute("data-ready", "yes");
  });
  [lon, lat].forEach(function (box) {  /* typed coordinates take the place of a click */
    if (box) box.addEventListener("input", function () { input.value = ""; });
  });
})();
