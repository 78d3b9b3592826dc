(function (map, data, minZoom) {  // street names at street level (pamgeo.render.webmap_elements.RoadLabels)
  var points = [];
  data.n.forEach(function (name, i) {
    pamgeo.unpack(data.p[i], 1).forEach(function (c, k) {
      points.push({at: L.latLng(c[1], c[0]), angle: data.a[i][k], name: name, chars: name.replace(/&[^;]+;/g, "x").length});
    });
  });
  map.createPane("pamgeo-labels");
  var group = L.layerGroup().addTo(map);
  function draw() {  // only the labels in view, those that do not overlap one drawn before (main roads first)
    group.clearLayers();
    if (map.getZoom() < minZoom) { return; }
    var view = map.getBounds().pad(0.05), taken = [];
    points.forEach(function (p) {
      if (!view.contains(p.at)) { return; }
      var q = map.latLngToLayerPoint(p.at), r = p.angle * Math.PI / 180, w = p.chars * 6.4 + 8, h = 15;
      var bw = (Math.abs(w * Math.cos(r)) + Math.abs(h * Math.sin(r))) / 2;
      var bh = (Math.abs(w * Math.sin(r)) + Math.abs(h * Math.cos(r))) / 2;
      var box = [q.x - bw, q.y - bh, q.x + bw, q.y + bh];
      for (var i = 0; i < taken.length; i++) {
        var o = taken[i];
        if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { return; }
      }
      taken.push(box);
      var html = '<span style="transform: translate(-50%, -50%) rotate(' + p.angle + 'deg)">' + p.name + "</span>";
      L.marker(p.at, {icon: L.divIcon({className: "pamgeo-road", html: html, iconSize: null}),
                      pane: "pamgeo-labels", interactive: false, keyboard: false}).addTo(group);
    });
  }
  map.on("zoomend moveend", draw);
  map.whenReady(draw);  // a map gets its first view last (pamgeo.render.webmap_elements.FitView)
})
