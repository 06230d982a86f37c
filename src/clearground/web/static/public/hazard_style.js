/* How hazards are drawn, shared by the server's map page (static/js/map.js) and the public
   map (static/public/page.js): colours by status, the hatch of suspected (SHA) areas, a dot for
   a hazard too small to draw. A classic script: window.cleargroundStyle. */
(function () {
  "use strict";
  var STATUS_COLOURS = {
    active: "#c62828", in_progress: "#ef6c00", reopened: "#6a1b9a",
    closed: "#1565c0", handed_over: "#78909c"
  };

  function hatch() {  /* an 8x8 diagonal line, the pattern of suspected (SHA) areas */
    var size = 8, data = new Uint8Array(size * size * 4);
    for (var y = 0; y < size; y++) {
      for (var x = 0; x < size; x++) {
        if ((x + y) % size === 0 || (x + y) % size === 1) {
          var i = (y * size + x) * 4;
          data[i] = 33; data[i + 1] = 33; data[i + 2] = 33; data[i + 3] = 170;
        }
      }
    }
    return { width: size, height: size, data: data };
  }

  function statusColour() {
    var expr = ["match", ["get", "status"]];
    Object.keys(STATUS_COLOURS).forEach(function (s) { expr.push(s, STATUS_COLOURS[s]); });
    expr.push("#424242");
    return expr;
  }

  /* The hazard layers over a vector source: fill by status, hatch for SHA, outline solid for
     CHA and dashed otherwise, a dot for points; `points` names the source layer of the dots
     when they come in a layer of their own (the public map's hazard_points). */
  var POLY = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
  var POINT = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
  function hazardLayers(source, sourceLayer, points) {
    var layers = [
      { id: "hazards-fill", type: "fill", source: source, "source-layer": sourceLayer,
        filter: POLY,
        paint: { "fill-color": statusColour(), "fill-opacity": 0.45 } },
      { id: "hazards-hatch", type: "fill", source: source, "source-layer": sourceLayer,
        filter: ["all", POLY, ["==", ["get", "classification"], "SHA"]],
        paint: { "fill-pattern": "sha-hatch" } },
      { id: "hazards-line", type: "line", source: source, "source-layer": sourceLayer,
        filter: POLY,
        paint: { "line-color": statusColour(),
          "line-width": ["case", ["==", ["get", "classification"], "CHA"], 2.5, 1.5],
          "line-dasharray": ["case", ["==", ["get", "classification"], "CHA"], ["literal", [1, 0]], ["literal", [3, 2]]] } },
      { id: "hazards-point", type: "circle", source: source, "source-layer": points || sourceLayer,
        filter: POINT,
        paint: { "circle-radius": 4, "circle-color": statusColour(), "circle-stroke-color": "#000000", "circle-stroke-width": 1 } }
    ];
    return layers;
  }

  window.cleargroundStyle = {
    STATUS_COLOURS: STATUS_COLOURS, hatch: hatch, statusColour: statusColour, hazardLayers: hazardLayers
  };
})();
