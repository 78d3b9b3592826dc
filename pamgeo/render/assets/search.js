(function (map, targets, labels, position, listId) {  // TPS and kelurahan search (pamgeo.render.webmap_elements.Search)
  function plain(s) {  // the data's properties are HTML-escaped; compare and list as text
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'").replace(/&#123;/g, "{").replace(/&#125;/g, "}").replace(/&amp;/g, "&");
  }
  function norm(s) { return s.trim().toLowerCase(); }
  var Search = L.Control.extend({
    options: {position: position},
    onAdd: function () {
      var box = L.DomUtil.create("div", "leaflet-bar pamgeo-search");
      var input = L.DomUtil.create("input", "", box), msg = L.DomUtil.create("div", "msg", box);
      var list = L.DomUtil.create("datalist", "", box), index = null;
      list.id = listId;
      input.type = "search"; input.placeholder = labels.placeholder; input.setAttribute("list", list.id);
      input.setAttribute("aria-label", labels.placeholder);
      function entry(v, item, seen) {
        if (v === undefined || v === null || v === "") { return; }
        var text = plain(v), key = norm(text);
        index.push({key: key, item: item});
        if (!seen[key]) { seen[key] = true; var o = document.createElement("option"); o.value = text; list.appendChild(o); }
      }
      function build() {  // the index and the suggestions, made when the box is first used (thousands of TPS)
        if (index) { return; }
        index = [];
        var seen = {};
        targets.forEach(function (t) {
          var g = t.group;
          if (g.count) {  // a point table (assets/points.js)
            for (var i = 0; i < g.count(); i++) { entry(g.value(i, t.key), {target: t, i: i}, seen); }
          } else {
            g.eachLayer(function (l) { entry(l.feature && l.feature.properties[t.key], {target: t, layer: l}, seen); });
          }
        });
      }
      function go() {
        build();
        var q = norm(input.value), hit = null;
        msg.textContent = "";
        if (!q) { return; }
        for (var i = 0; i < index.length && !hit; i++) { if (index[i].key === q) { hit = index[i].item; } }
        for (var j = 0; j < index.length && !hit; j++) { if (index[j].key.indexOf(q) === 0) { hit = index[j].item; } }
        if (!hit) { msg.textContent = labels.not_found; return; }
        var l = hit.layer, g = hit.target.group, zoom = Math.max(map.getZoom(), hit.target.zoom);
        if (!map.hasLayer(g)) { g.addTo(map); }
        if (!l) {
          map.setView(g.latLngOf(hit.i), zoom, {animate: false});
          g.openPopup(hit.i);
        } else if (l.getLatLng) {
          map.setView(l.getLatLng(), zoom, {animate: false});
          l.fire("click", {latlng: l.getLatLng()}, true);  // as a click: its popup opens
        } else {
          map.fitBounds(l.getBounds());
          l.setStyle({weight: 5, color: "#111", dashArray: null});
          setTimeout(function () { g.resetStyle(l); }, 3000);
        }
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(input, "focus input", build);
      L.DomEvent.on(input, "change", go);
      L.DomEvent.on(input, "keydown", function (e) { if (e.key === "Enter") { go(); } });
      return box;
    }
  });
  new Search().addTo(map);
})
