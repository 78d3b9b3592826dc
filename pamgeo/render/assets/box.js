(function (map, html, position, cssClass) {  // a fixed HTML box (pamgeo.render.webmap_elements.Box)
  var box = L.control({position: position});
  box.onAdd = function () {
    var div = L.DomUtil.create("div", "pamgeo-box " + cssClass);
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  box.addTo(map);
})
