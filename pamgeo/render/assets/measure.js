(function (map, labels, position) {  // distance measuring (pamgeo.render.webmap_elements.Measure)
  var Measure = L.Control.extend({
    options: {position: position},
    onAdd: function () {
      var box = L.DomUtil.create("div", "leaflet-bar pamgeo-measure");
      var btn = L.DomUtil.create("a", "", box);
      var out = L.DomUtil.create("div", "out", box);
      btn.href = "#"; btn.setAttribute("role", "button"); btn.textContent = labels.start;
      L.DomEvent.disableClickPropagation(box);
      var on = false, pts = [], marks = L.layerGroup().addTo(map), line = null;
      function fmt(m) { return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(2) + " km"; }
      function add(e) {
        pts.push(e.latlng);
        if (line) { line.setLatLngs(pts); }
        else { line = L.polyline(pts, {color: "#111", weight: 3, dashArray: "6 4", interactive: false}).addTo(marks); }
        L.circleMarker(e.latlng, {radius: 3, color: "#111", interactive: false}).addTo(marks);
        var d = 0;
        for (var i = 1; i < pts.length; i++) { d += map.distance(pts[i - 1], pts[i]); }
        out.textContent = fmt(d);
      }
      L.DomEvent.on(btn, "click", function (e) {
        L.DomEvent.preventDefault(e);
        on = !on;
        btn.textContent = on ? labels.stop : labels.start;
        L.DomUtil[on ? "addClass" : "removeClass"](box, "active");
        map.getContainer().style.cursor = on ? "crosshair" : "";
        if (on) {
          pts = []; line = null; marks.clearLayers(); out.textContent = labels.hint;
          out.classList.remove("kept"); map.on("click", add); map.doubleClickZoom.disable();
        } else {
          map.off("click", add); map.doubleClickZoom.enable();
          if (pts.length > 1) { out.classList.add("kept"); } else { marks.clearLayers(); }
        }
      });
      return box;
    }
  });
  new Measure().addTo(map);
})
