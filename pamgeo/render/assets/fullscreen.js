(function (map, labels, position) {  // a full-screen button (pamgeo.render.webmap_elements.Fullscreen)
  var box = map.getContainer(), doc = document;
  var request = box.requestFullscreen || box.webkitRequestFullscreen;
  if (!request) { return; }
  var Full = L.Control.extend({
    options: {position: position},
    onAdd: function () {
      var bar = L.DomUtil.create("div", "leaflet-bar pamgeo-full");
      var btn = L.DomUtil.create("a", "", bar);
      btn.href = "#"; btn.setAttribute("role", "button");
      btn.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#222" stroke-width="2"/></svg>';
      function current() { return doc.fullscreenElement || doc.webkitFullscreenElement; }
      function sync() { btn.title = current() ? labels.exit : labels.enter; btn.setAttribute("aria-label", btn.title); map.invalidateSize(); }
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(btn, "click", function (e) {
        L.DomEvent.preventDefault(e);
        if (current()) { (doc.exitFullscreen || doc.webkitExitFullscreen).call(doc); }
        else { request.call(box); }
      });
      doc.addEventListener("fullscreenchange", sync);
      doc.addEventListener("webkitfullscreenchange", sync);
      sync();
      return bar;
    }
  });
  new Full().addTo(map);
})
