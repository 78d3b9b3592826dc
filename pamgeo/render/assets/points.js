(function (runtime, map) {  // thousands of TPS as one layer (pamgeo.render.webmap_elements.GeoJson, table=True)
  // One canvas of its own for the whole table (webmap_encoding.point_table), drawn in one pass:
  // no Leaflet layer per point to make, project, update and collect. Points are found under the
  // pointer by distance; their properties are made from the table when a popup, a tooltip or the
  // search asks. The canvas lies above the map's other vector layers and lets the pointer through
  // except over a point, so the areas below keep their tooltips and popups.
  var PANE = "pamgeo-points", TOP = "pamgeo-top", PAD = 0.1, retina = L.Browser.retina ? 2 : 1;
  function pane(name, z, through) {
    var p = map.getPane(name) || map.createPane(name);
    p.style.zIndex = z;
    if (through) { p.style.pointerEvents = "none"; }
    return p;
  }
  function dashes(s) {
    if (!s) { return []; }
    return String(s).split(/[, ]+/).filter(Boolean).map(Number);
  }
  var Points = L.Layer.extend({
    options: {pane: PANE},
    initialize: function (t, o) {
      var n = t.n, xy = n ? runtime.unpack(t.xy, 1) : [];
      this.n = n;
      this.names = Object.keys(t.cols);
      this.get = this.names.map(function (f) { return runtime.column(t.cols[f], n); });
      this.column = {};
      for (var j = 0; j < this.names.length; j++) { this.column[this.names[j]] = this.get[j]; }
      var styleOf = o.index ? runtime.column(o.index, n) : function () { return 0; };
      this.lat = new Float64Array(n); this.lng = new Float64Array(n); this.style = new Uint8Array(n);
      for (var i = 0; i < n; i++) { this.lng[i] = xy[i][0]; this.lat[i] = xy[i][1]; this.style[i] = styleOf(i); }
      this.styles = o.styles.map(function (s) {
        var st = L.extend({radius: 10, stroke: true, color: "#3388ff", weight: 3, opacity: 1, fill: true,
                           fillOpacity: 0.2}, o.marker, s);
        st.fillColor = st.fillColor || st.color;
        st.dash = dashes(st.dashArray);
        st.reach = st.radius + (st.stroke ? st.weight / 2 : 0);  // how far from the centre a pointer finds it
        return st;
      });
      this.mark = o.mark;
      this.drawn = 0;
    },
    // --- the table, for popups, tooltips, the search and tests
    count: function () { return this.n; },
    latLngOf: function (i) { return L.latLng(this.lat[i], this.lng[i]); },
    value: function (i, key) { var c = this.column[key]; return c ? c(i) : undefined; },
    properties: function (i) {
      var p = {};
      for (var j = 0; j < this.names.length; j++) {
        var v = this.get[j](i);
        if (v !== undefined && v !== null && v !== "") { p[this.names[j]] = v; }
      }
      return p;
    },
    feature: function (i) {
      return {type: "Feature", properties: this.properties(i), geometry: {type: "Point", coordinates: [this.lng[i], this.lat[i]]}};
    },
    bindPopup: function (content, options) { this.popupContent = content; this.popupOptions = options || {}; return this; },
    bindTooltip: function (content, options) { this.tipContent = content; this.tipOptions = options || {}; return this; },
    openPopup: function (i) {  // the popup of point i (a click on it, or the search)
      if (!this.popupContent || !this._map) { return this; }
      L.popup(this.popupOptions).setLatLng(this.latLngOf(i))
        .setContent(this.popupContent({feature: this.feature(i)})).openOn(this._map);
      return this;
    },
    // --- drawing
    onAdd: function () {
      pane(PANE, 420, true);
      var canvas = this._canvas = L.DomUtil.create("canvas", "pamgeo-points leaflet-zoom-animated", this.getPane());
      canvas.style.pointerEvents = "none";
      this._ctx = canvas.getContext("2d");
      if (!this.x0) {  // positions projected at zoom 0, scaled to each zoom
        this.x0 = new Float64Array(this.n); this.y0 = new Float64Array(this.n);
        for (var i = 0; i < this.n; i++) {
          var p = this._map.project([this.lat[i], this.lng[i]], 0);
          this.x0[i] = p.x; this.y0[i] = p.y;
        }
        this.x = new Float64Array(this.n); this.y = new Float64Array(this.n);
      }
      this._listen = L.bind(this._pointer, this);
      var box = this._map.getContainer();
      box.addEventListener("pointermove", this._listen, true);
      box.addEventListener("pointerdown", this._listen, true);
      this._update(null, true);
      if (this.mark && !this.marked) {  // the frame that paints the points first
        this.marked = true;
        var mark = this.mark;
        requestAnimationFrame(function () { if (window.performance && performance.mark) { performance.mark(mark); } });
      }
    },
    onRemove: function () {
      var box = this._map.getContainer();
      box.removeEventListener("pointermove", this._listen, true);
      box.removeEventListener("pointerdown", this._listen, true);
      this._hover(-1, null);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },
    getEvents: function () {
      var events = {viewreset: this._reset, moveend: this._update, zoom: this._onZoom,
                    click: this._click, mousemove: this._move, mouseout: this._out};
      if (this._map.options.zoomAnimation) { events.zoomanim = this._onAnimZoom; }
      return events;
    },
    _update: function (e, force) {  // canvas over the view and a tenth of it around, points projected and drawn
      var m = this._map, size = m.getSize(), view = [m.getCenter(), m.getZoom(), size.x, size.y].join();
      if (view === this._view && !force) { return; }  // a moveend and a viewreset of one change: drawn once
      this._view = view;
      var min = m.containerPointToLayerPoint(size.multiplyBy(-PAD)).round();
      var max = min.add(size.multiplyBy(1 + 2 * PAD)).round(), dim = max.subtract(min);
      this._center = m.getCenter(); this._zoom = m.getZoom();
      var canvas = this._canvas, ctx = this._ctx;
      L.DomUtil.setPosition(canvas, min);
      canvas.width = retina * dim.x; canvas.height = retina * dim.y;
      canvas.style.width = dim.x + "px"; canvas.style.height = dim.y + "px";
      ctx.setTransform(retina, 0, 0, retina, -retina * min.x, -retina * min.y);
      var scale = m.getZoomScale(this._zoom, 0), origin = m.getPixelOrigin();
      var x = this.x, y = this.y, drawn = 0, current = -1, st = null;
      ctx.lineCap = "round"; ctx.lineJoin = "round";
      for (var i = 0; i < this.n; i++) {
        x[i] = Math.round(this.x0[i] * scale) - origin.x; y[i] = Math.round(this.y0[i] * scale) - origin.y;
        if (this.style[i] !== current) { current = this.style[i]; st = this.styles[current]; ctx.setLineDash(st.dash); }
        var r = st.reach;
        if (x[i] + r < min.x || y[i] + r < min.y || x[i] - r > max.x || y[i] - r > max.y) { continue; }
        ctx.beginPath();
        ctx.arc(x[i], y[i], st.radius, 0, 2 * Math.PI, false);
        if (st.fill) { ctx.globalAlpha = st.fillOpacity; ctx.fillStyle = st.fillColor; ctx.fill("evenodd"); }
        if (st.stroke && st.weight !== 0) {
          ctx.globalAlpha = st.opacity; ctx.lineWidth = st.weight; ctx.strokeStyle = st.color; ctx.stroke();
        }
        drawn++;
      }
      this.drawn = drawn;
    },
    _transform: function (center, zoom) {  // during a zoom: the drawn canvas scaled, as Leaflet's renderers do
      var m = this._map, scale = m.getZoomScale(zoom, this._zoom), size = m.getSize();
      var origin = m.project(center, zoom).subtract(size.divideBy(2)).add(L.DomUtil.getPosition(m.getPane("mapPane"))).round();
      var offset = size.multiplyBy(0.5 + PAD).multiplyBy(-scale).add(m.project(this._center, zoom)).subtract(origin);
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },
    _reset: function () {  // as Leaflet's renderers: placed exactly where the view is, not on the pixel
      this._update();
      this._transform(this._center, this._zoom);
    },
    _onZoom: function () { this._transform(this._map.getCenter(), this._map.getZoom()); },
    _onAnimZoom: function (e) { this._transform(e.center, e.zoom); },
    // --- the pointer
    _at: function (point) {  // the point drawn on top under a layer point, or -1
      for (var i = this.n - 1; i >= 0; i--) {
        var dx = this.x[i] - point.x, dy = this.y[i] - point.y, r = this.styles[this.style[i]].reach;
        if (dx * dx + dy * dy <= r * r) { return i; }
      }
      return -1;
    },
    _pointer: function (e) {  // before Leaflet sees the event: the canvas takes the pointer over a point only
      if (!this._map) { return; }
      var i = this._at(this._map.mouseEventToLayerPoint(e));
      this._canvas.style.pointerEvents = i >= 0 ? "auto" : "none";
    },
    _point: function (e) { return e.layerPoint || this._map.latLngToLayerPoint(e.latlng); },  // also of a fired event
    _move: function (e) { this._hover(this._at(this._point(e)), e.latlng); },
    _out: function () { this._hover(-1, null); },
    _hover: function (i, latlng) {
      var box = this._map.getContainer();
      L.DomUtil[i >= 0 ? "addClass" : "removeClass"](box, "pamgeo-on-point");
      if (!this.tipContent) { return; }
      if (i < 0) {
        if (this._tip) { this._map.closeTooltip(this._tip); }
        this._tipAt = -1;
        return;
      }
      if (!this._tip) { this._tip = L.tooltip(L.extend({}, this.tipOptions, {sticky: true})); }
      if (this._tipAt !== i) { this._tip.setContent(this.tipContent({feature: this.feature(i)})); this._tipAt = i; }
      this._tip.setLatLng(latlng);
      if (!this._map.hasLayer(this._tip)) { this._map.openTooltip(this._tip); }
    },
    _click: function (e) {
      var i = this._at(this._point(e));
      if (i >= 0) { this._hover(-1, null); this.openPopup(i); }
    }
  });
  pane(TOP, 430, false);
  return function (t, o) {
    var layer = new Points(t, o);
    runtime.above(L.svg({pane: TOP}));  // the layers made after the TPS are drawn above them
    return layer;
  };
})
