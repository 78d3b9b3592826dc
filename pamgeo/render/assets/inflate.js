(function (id, oldBrowser, alphabet) {  // a map document stored compressed (pamgeo.render.maps.map_iframe)
  var frame = document.getElementById(id), data = document.getElementById(id + "-gz");
  var fail = function () {
    var p = document.createElement("p");
    p.className = "pamgeo-map-error"; p.textContent = oldBrowser;
    frame.replaceWith(p);
  };
  if (typeof DecompressionStream === "undefined" || typeof Response === "undefined") { fail(); return; }
  var text = data.textContent.replace(/\s+/g, ""), bytes;
  if (data.getAttribute("data-encoding") === "base85") {  // RFC 1924 alphabet, as Python's b85encode
    var digits = new Int16Array(128).fill(-1), n = text.length, rem = n % 5;
    alphabet.split("").forEach(function (c, i) { digits[c.charCodeAt(0)] = i; });
    bytes = new Uint8Array(Math.floor(n / 5) * 4 + (rem ? rem - 1 : 0));
    for (var i = 0, o = 0; i < n; i += 5) {
      var v = 0;
      for (var k = 0; k < 5; k++) { v = v * 85 + (i + k < n ? digits[text.charCodeAt(i + k)] : 84); }
      for (var b = 3; b >= 0 && o < bytes.length; b--) { bytes[o++] = Math.floor(v / Math.pow(256, b)) % 256; }
    }
  } else {
    var bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (var j = 0; j < bin.length; j++) { bytes[j] = bin.charCodeAt(j); }
  }
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
    .then(function (doc) { frame.srcdoc = doc; }, fail);
})
