(function (depth, scale) {  // the `pamgeo` object of a map (pamgeo.render.webmap_elements.Runtime)
  function decode(s) {  // Encoded Polyline Algorithm Format, [lng, lat] pairs
    var out = [], i = 0, lat = 0, lng = 0;
    while (i < s.length) {
      var d = [0, 0];
      for (var k = 0; k < 2; k++) {
        var shift = 0, v = 0, b;
        do { b = s.charCodeAt(i++) - 63; v |= (b & 31) << shift; shift += 5; } while (b >= 32);
        d[k] = (v & 1) ? ~(v >> 1) : (v >> 1);
      }
      lat += d[0]; lng += d[1];
      out.push([lng / scale, lat / scale]);
    }
    return out;
  }
  function unpack(c, n) {
    if (n <= 1) {
      var pts = decode(Array.isArray(c) ? c.join("") : c);  // pieces: see pamgeo.render.webmap_encoding.cut_braces
      return n === 0 ? pts[0] : pts;
    }
    return c.map(function (x) { return unpack(x, n - 1); });
  }
  function layer(data, o) {
    var styles = o.styles, index = o.index;
    data.features.forEach(function (f, i) {
      f.geometry.coordinates = unpack(f.geometry.coordinates, depth[f.geometry.type]);
      f.pamgeoStyle = index ? index[i] : 0;
    });
    return L.geoJson(data, L.extend({
      style: function (f) { return styles[f.pamgeoStyle || 0]; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, L.extend({}, o.marker, styles[f.pamgeoStyle || 0])); }
    }, o.options || {}));
  }
  function table(fields, labels) {  // values arrive HTML-escaped (pamgeo.render.webmap_encoding.escape_text)
    return function (lyr) {
      var p = lyr.feature.properties, rows = "";
      fields.forEach(function (f, i) {
        var v = p[f];
        if (v === undefined || v === null || v === "") { return; }
        rows += "<tr>" + (labels ? "<th>" + labels[i] + "</th>" : "") + "<td>" + v + "</td></tr>";
      });
      var div = L.DomUtil.create("div");
      div.innerHTML = "<table>" + rows + "</table>";
      return div;
    };
  }
  return {layer: layer, table: table, unpack: unpack};
})
