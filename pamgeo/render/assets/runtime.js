(function (depth, scale, alphabet) {  // the `pamgeo` object of a map (pamgeo.render.webmap_elements.Runtime)
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
  var top = null;  // the renderer of the layers made after the TPS (pamgeo.points): above them
  function above(renderer) { top = top || renderer; }
  function layer(data, o) {
    var styles = o.styles, index = o.index, extra = top ? {renderer: top} : {};
    data.features.forEach(function (f, i) {
      f.geometry.coordinates = unpack(f.geometry.coordinates, depth[f.geometry.type]);
      f.pamgeoStyle = index ? index[i] : 0;
    });
    return L.geoJson(data, L.extend({
      style: function (f) { return styles[f.pamgeoStyle || 0]; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, L.extend({}, o.marker, styles[f.pamgeoStyle || 0], extra)); }
    }, extra, o.options || {}));
  }
  var at = new Int16Array(128), base = alphabet.length;  // code character -> number (webmap_encoding.CODE_ALPHABET)
  for (var a = 0; a < base; a++) { at[alphabet.charCodeAt(a)] = a; }
  function column(c, n) {  // a table column as a function of the row (webmap_encoding.encode_column)
    if (Array.isArray(c)) { return function (i) { return c[i]; }; }
    var d = c.d, k = c.k;
    if (c.r) {  // texts made of parts (webmap_encoding.encode_parts)
      var w = d.length > base ? 2 : 1, r = c.r, s = c.s;
      return function (i) {
        var codes = r[i], out = [];
        if (codes === null) { return null; }
        for (var j = 0; j < codes.length; j += w) {
          out.push(d[w === 1 ? at[codes.charCodeAt(j)] : at[codes.charCodeAt(j)] * base + at[codes.charCodeAt(j + 1)]]);
        }
        return out.join(s);
      };
    }
    if (k === undefined) { return function () { return d[0]; }; }  // one value in every row
    if (k.length === n) { return function (i) { return d[at[k.charCodeAt(i)]]; }; }
    return function (i) { return d[at[k.charCodeAt(2 * i)] * base + at[k.charCodeAt(2 * i + 1)]]; };
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
  return {above: above, column: column, layer: layer, table: table, unpack: unpack};
})
