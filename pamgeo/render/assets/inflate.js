(function (id, oldBrowser, alphabet) {  // a map document stored compressed (pamgeo.render.maps.map_iframe)
  // Inflated here, at once, while the page is still being read: the map starts loading in its own
  // frame at the same time as the rest of the page (its tables) is laid out. A few dozen lines of
  // RFC 1951; the browser's DecompressionStream (asynchronous: it waits for the page) if they fail.
  var frame = document.getElementById(id), data = document.getElementById(id + "-gz");
  var fail = function () {
    var p = document.createElement("p");
    p.className = "pamgeo-map-error"; p.textContent = oldBrowser;
    frame.replaceWith(p);
  };
  if (typeof Uint8Array === "undefined" || typeof TextDecoder === "undefined") { fail(); return; }
  var text = data.textContent.replace(/\s+/g, ""), bytes;
  if (data.getAttribute("data-encoding") === "base85") {  // RFC 1924 alphabet, as Python's b85encode
    var digits = new Int16Array(128).fill(-1), n = text.length, rem = n % 5;
    for (var a = 0; a < alphabet.length; a++) { digits[alphabet.charCodeAt(a)] = a; }
    bytes = new Uint8Array(Math.floor(n / 5) * 4 + (rem ? rem - 1 : 0));
    for (var i = 0, o = 0; i < n; i += 5) {
      var v = 0;
      for (var k = 0; k < 5; k++) { v = v * 85 + (i + k < n ? digits[text.charCodeAt(i + k)] : 84); }
      for (var b = 24; b >= 0 && o < bytes.length; b -= 8) { bytes[o++] = (v >>> b) & 255; }
    }
  } else {
    var bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (var j = 0; j < bin.length; j++) { bytes[j] = bin.charCodeAt(j); }
  }
  var LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  var LEXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  var DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
               4097, 6145, 8193, 12289, 16385, 24577];
  var DEXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  var ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  function gunzip(src) {  // one gzip member (RFC 1952) -> its bytes
    if (src[0] !== 31 || src[1] !== 139 || src[2] !== 8) { throw new Error("not gzip"); }
    var pos = 10, flags = src[3], buf = 0, cnt = 0;
    if (flags & 4) { pos += 2 + (src[10] | (src[11] << 8)); }
    if (flags & 8) { while (src[pos++]) { /* file name */ } }
    if (flags & 16) { while (src[pos++]) { /* comment */ } }
    if (flags & 2) { pos += 2; }
    var end = src.length, out = new Uint8Array((src[end - 4] | (src[end - 3] << 8) | (src[end - 2] << 16) | (src[end - 1] << 24)) >>> 0);
    var op = 0;
    function bits(n) {
      while (cnt < n) { buf |= src[pos++] << cnt; cnt += 8; }
      var x = buf & ((1 << n) - 1);
      buf >>>= n; cnt -= n;
      return x;
    }
    function code(lengths, count) {  // a canonical Huffman code as a table: low bits -> symbol << 4 | length
      var max = 0, seen = new Uint16Array(16), next = new Uint16Array(16), s, c = 0;
      for (s = 0; s < count; s++) { seen[lengths[s]]++; if (lengths[s] > max) { max = lengths[s]; } }
      seen[0] = 0;
      for (s = 1; s < 16; s++) { c = (c + seen[s - 1]) << 1; next[s] = c; }
      var t = new Int32Array(1 << max);
      for (s = 0; s < count; s++) {
        var len = lengths[s];
        if (!len) { continue; }
        var r = 0, x = next[len]++;
        for (var q = 0; q < len; q++) { r = (r << 1) | (x & 1); x >>= 1; }
        for (var e = r; e < t.length; e += 1 << len) { t[e] = (s << 4) | len; }
      }
      return {t: t, n: max};
    }
    function symbol(h) {
      while (cnt < h.n) { buf |= src[pos++] << cnt; cnt += 8; }
      var e = h.t[buf & ((1 << h.n) - 1)];
      if (!(e & 15)) { throw new Error("bad code"); }
      buf >>>= e & 15; cnt -= e & 15;
      return e >> 4;
    }
    var fixedL = null, fixedD = null, last;
    do {
      last = bits(1);
      var type = bits(2), lit, dist;
      if (type === 0) {  // stored
        buf >>>= cnt & 7; cnt -= cnt & 7;
        var size = bits(16);
        bits(16);
        while (size--) { out[op++] = bits(8); }
        continue;
      }
      if (type === 1) {
        if (!fixedL) {
          var l = new Uint8Array(288), d = new Uint8Array(30).fill(5);
          l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
          fixedL = code(l, 288); fixedD = code(d, 30);
        }
        lit = fixedL; dist = fixedD;
      } else if (type === 2) {
        var nl = bits(5) + 257, nd = bits(5) + 1, nc = bits(4) + 4, cl = new Uint8Array(19), all = new Uint8Array(nl + nd);
        for (var m = 0; m < nc; m++) { cl[ORDER[m]] = bits(3); }
        var lens = code(cl, 19);
        for (var z = 0; z < nl + nd;) {
          var y = symbol(lens), rep = 0, val = 0;
          if (y < 16) { all[z++] = y; continue; }
          if (y === 16) { val = all[z - 1]; rep = 3 + bits(2); } else if (y === 17) { rep = 3 + bits(3); } else { rep = 11 + bits(7); }
          while (rep--) { all[z++] = val; }
        }
        lit = code(all.subarray(0, nl), nl); dist = code(all.subarray(nl), nd);
      } else {
        throw new Error("bad block");
      }
      for (;;) {
        var sym = symbol(lit);
        if (sym < 256) { out[op++] = sym; continue; }
        if (sym === 256) { break; }
        sym -= 257;
        var length = LBASE[sym] + bits(LEXTRA[sym]), ds = symbol(dist), back = DBASE[ds] + bits(DEXTRA[ds]);
        for (var w = 0; w < length; w++, op++) { out[op] = out[op - back]; }
      }
    } while (!last);
    if (op !== out.length) { throw new Error("bad length"); }
    return out;
  }
  try {
    frame.srcdoc = new TextDecoder("utf-8").decode(gunzip(bytes));
  } catch (err) {
    if (typeof DecompressionStream === "undefined" || typeof Response === "undefined") { fail(); return; }
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
      .then(function (doc) { frame.srcdoc = doc; }, fail);
  }
})
