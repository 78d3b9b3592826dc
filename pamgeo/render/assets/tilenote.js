(function (map, layer, text, position) {  // the online base map cannot load (pamgeo.render.webmap_elements.TileNote)
  var note = null;
  layer.on("tileerror", function () {
    if (note || !map.hasLayer(layer)) { return; }
    note = L.control({position: position});
    note.onAdd = function () {
      var div = L.DomUtil.create("div", "pamgeo-box pamgeo-note pamgeo-tilenote");
      div.setAttribute("role", "status");
      div.textContent = text;
      return div;
    };
    note.addTo(map);
  });
  layer.on("remove", function () { if (note) { note.remove(); note = null; } });
})
