(function (map, rows, labels, position) {  // the legend (pamgeo.render.webmap_elements.Legend)
  var Legend = L.Control.extend({
    options: {position: position},
    onAdd: function () {
      var box = L.DomUtil.create("div", "pamgeo-box pamgeo-legend");
      var head = L.DomUtil.create("a", "lg-head", box), list = L.DomUtil.create("div", "lg-list", box);
      head.href = "#"; head.setAttribute("role", "button");
      var items = rows.map(function (r) {
        var el = L.DomUtil.create("div", "lg-row", list);
        el.innerHTML = r[2]; el.setAttribute("data-layer", r[1]);
        return {layer: r[0], el: el};
      });
      var pending = false;
      function sync() {  // the rows of the layers on the map, as the layer control turns them on and off
        pending = false;
        items.forEach(function (it) { it.el.style.display = map.hasLayer(it.layer) ? "" : "none"; });
      }
      function open(yes) {
        L.DomUtil[yes ? "removeClass" : "addClass"](box, "collapsed");
        head.textContent = labels.title + (yes ? " \u25BE" : " \u25B8");
        head.setAttribute("aria-expanded", yes ? "true" : "false");
      }
      L.DomEvent.on(head, "click", function (e) {
        L.DomEvent.preventDefault(e);
        open(L.DomUtil.hasClass(box, "collapsed"));
      });
      map.on("layeradd layerremove", function () { if (!pending) { pending = true; setTimeout(sync, 0); } });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      sync();
      var screenHeight = (window.screen && window.screen.height) || 0;
      open(screenHeight >= labels.small_screen && map.getSize().y >= labels.small_map);
      return box;
    }
  });
  new Legend().addTo(map);
})
