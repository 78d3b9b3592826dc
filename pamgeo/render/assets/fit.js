(function (map, bounds, points, margin) {  // the first view (pamgeo.render.webmap_elements.FitView)
  var size = map.getSize(), area = L.latLngBounds(bounds), snap = map.options.zoomSnap || 1;
  if (!size.x || !size.y) { map.fitBounds(area, {animate: false}); return; }
  var frame = map.getContainer().getBoundingClientRect();
  var boxes = [];
  Array.prototype.forEach.call(map.getContainer().querySelectorAll(".leaflet-control"), function (el) {
    var r = el.getBoundingClientRect();
    if (r.width && r.height) {
      boxes.push([r.left - frame.left - margin, r.top - frame.top - margin,
                  r.right - frame.left + margin, r.bottom - frame.top + margin]);
    }
  });
  var half = size.divideBy(2);
  function clear(centre, zoom, whole) {  // no point under a control or off the map; all of the area shown if whole
    var c = map.project(centre, zoom);
    function at(ll) { return map.project(ll, zoom).subtract(c).add(half); }
    if (whole) {
      var nw = at(area.getNorthWest()), se = at(area.getSouthEast());
      if (nw.x < 0 || nw.y < 0 || se.x > size.x || se.y > size.y) { return false; }
    }
    for (var i = 0; i < points.length; i++) {
      var p = at(points[i]);
      if (p.x < margin || p.y < margin || p.x > size.x - margin || p.y > size.y - margin) { return false; }
      for (var k = 0; k < boxes.length; k++) {
        var b = boxes[k];
        if (p.x >= b[0] && p.x <= b[2] && p.y >= b[1] && p.y <= b[3]) { return false; }
      }
    }
    return true;
  }
  var steps = [0], shifts = [];
  for (var s = 1; s <= 10; s++) { steps.push(s * 25, -s * 25); }
  steps.forEach(function (dx) { steps.forEach(function (dy) { shifts.push(L.point(dx, dy)); }); });
  shifts.sort(function (a, b) { return (a.x * a.x + a.y * a.y) - (b.x * b.x + b.y * b.y); });
  var z0 = map.getBoundsZoom(area, false, L.point(2 * margin, 2 * margin));
  for (var pass = 0; pass < 2; pass++) {  // first with all of the area in view, then the points alone
    for (var z = z0; z >= z0 - 3; z -= snap) {
      var c0 = map.project(area.getCenter(), z);
      for (var j = 0; j < shifts.length; j++) {
        var centre = map.unproject(c0.add(shifts[j]), z);
        if (clear(centre, z, pass === 0)) { map.setView(centre, z, {animate: false}); return; }
      }
    }
  }
  map.fitBounds(area, {padding: [margin, margin], animate: false});
})
