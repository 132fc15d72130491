// MixFlow chart loader: turns one static chart (an <img> of the PNG) into an interactive ECharts chart.
// Arguments: the container id and the URL path of echarts.min.js relative to the Jupyter base URL.
// Anything that fails (script blocked, file missing, no network to the Jupyter server) leaves the <img>.
(function (id, rel) {
  var w = window;

  function baseUrl() {
    try { // JupyterLab / Notebook 7
      var el = document.getElementById('jupyter-config-data');
      if (el) {
        var c = JSON.parse(el.textContent);
        if (c.baseUrl) { return c.baseUrl; }
      }
    } catch (e) { /* not JupyterLab */ }
    try { // classic Notebook: <body data-base-url="...">
      if (document.body && document.body.dataset && document.body.dataset.baseUrl) {
        return decodeURIComponent(document.body.dataset.baseUrl);
      }
    } catch (e) { /* not classic Notebook */ }
    return '/';
  }

  // load returns a promise of the echarts module, loading it at most once per page.
  function load() {
    if (w.echarts && w.echarts.init) { return Promise.resolve(w.echarts); }
    if (w.__mixflowEcharts) { return w.__mixflowEcharts; }
    var b = baseUrl();
    if (b.charAt(b.length - 1) !== '/') { b += '/'; }
    var url = b + rel;
    w.__mixflowEcharts = new Promise(function (ok, fail) {
      if (typeof w.requirejs === 'function' && typeof w.define === 'function' && w.define.amd) {
        // Classic Notebook ships RequireJS: the UMD bundle would register as an anonymous AMD module
        // instead of setting window.echarts, so load it through RequireJS.
        w.requirejs.config({ paths: { 'mixflow-echarts': url.replace(/\.js$/, '') } });
        w.requirejs(['mixflow-echarts'], function (ec) { w.echarts = ec; ok(ec); }, function (err) {
          w.__mixflowEcharts = null;
          fail(err);
        });
        return;
      }
      var s = document.createElement('script');
      s.src = url;
      s.async = true;
      s.onload = function () {
        if (w.echarts && w.echarts.init) { ok(w.echarts); } else { fail(new Error('echarts not defined by ' + url)); }
      };
      s.onerror = function () { w.__mixflowEcharts = null; fail(new Error('cannot load ' + url)); };
      document.head.appendChild(s);
    });
    return w.__mixflowEcharts;
  }

  function renderers(ec) {
    function clipPts(pts, cs) {
      return ec.graphic.clipPointsByRect(pts, { x: cs.x, y: cs.y, width: cs.width, height: cs.height });
    }
    function clipRect(r, cs) {
      return ec.graphic.clipRectByRect(r, { x: cs.x, y: cs.y, width: cs.width, height: cs.height });
    }
    function polygon(params, api, pts) {
      return { type: 'polygon', shape: { points: clipPts(pts, params.coordSys) }, style: { fill: api.visual('color') }, silent: true };
    }
    function opaque(c) { return String(c).replace(/,\s*[0-9.]+\)$/, ',1)'); }
    return {
      // Band between dims 1 (lo) and 2 (hi) over dim 0, drawn once as one polygon.
      'mixflow:band': function (params, api) {
        if (params.dataIndexInside !== 0) { return null; }
        var top = [], bottom = [];
        for (var i = 0; i < params.dataInsideLength; i++) {
          top.push(api.coord([api.value(0, i), api.value(2, i)]));
          bottom.push(api.coord([api.value(0, i), api.value(1, i)]));
        }
        return polygon(params, api, top.concat(bottom.reverse()));
      },
      // Filled polygon through (dim 0, dim 1), drawn once.
      'mixflow:fill': function (params, api) {
        if (params.dataIndexInside !== 0) { return null; }
        var pts = [];
        for (var i = 0; i < params.dataInsideLength; i++) { pts.push(api.coord([api.value(0, i), api.value(1, i)])); }
        return polygon(params, api, pts);
      },
      // Vertical error bar at dim 0 from dim 1 to dim 2, line width dim 3, with caps.
      'mixflow:errorbar': function (params, api) {
        var x = api.value(0), lo = api.coord([x, api.value(1)]), hi = api.coord([x, api.value(2)]);
        var cap = 4, style = { stroke: api.visual('color'), lineWidth: api.value(3) || 1.5 };
        return {
          type: 'group', children: [
            { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
            { type: 'line', shape: { x1: lo[0] - cap, y1: lo[1], x2: lo[0] + cap, y2: lo[1] }, style: style },
            { type: 'line', shape: { x1: hi[0] - cap, y1: hi[1], x2: hi[0] + cap, y2: hi[1] }, style: style }
          ]
        };
      },
      // Histogram bar from dim 0 to dim 1, height dim 2 above base dim 3.
      'mixflow:bars': function (params, api) {
        var a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), api.value(3)]);
        var r = clipRect({ x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1] }, params.coordSys);
        if (!r) { return null; }
        var fill = api.visual('color');
        return { type: 'rect', shape: r, style: { fill: fill, stroke: opaque(fill), lineWidth: 1 } };
      },
      // Heatmap cell x0 (dim 0) .. x1 (dim 1), y0 (dim 2) .. y1 (dim 3), colour from the visualMap of dim 4.
      'mixflow:heatmap': function (params, api) {
        var a = api.coord([api.value(0), api.value(3)]), b = api.coord([api.value(1), api.value(2)]);
        var r = clipRect({ x: a[0], y: a[1], width: b[0] - a[0] + 0.5, height: b[1] - a[1] + 0.5 }, params.coordSys);
        if (!r) { return null; }
        return { type: 'rect', shape: r, style: { fill: api.visual('color') } };
      }
    };
  }

  function render(root, ec) {
    var optEl = root.querySelector('script.mixflow-option');
    var box = root.querySelector('.mixflow-echarts');
    var img = root.querySelector('img.mixflow-static');
    var opt = JSON.parse(optEl.textContent);
    var r = renderers(ec);
    (opt.series || []).forEach(function (s) {
      if (typeof s.renderItem === 'string' && r[s.renderItem]) { s.renderItem = r[s.renderItem]; }
    });
    var wd = parseInt(root.getAttribute('data-width'), 10), ht = parseInt(root.getAttribute('data-height'), 10);
    box.style.display = 'block';
    if (root.__mixflowChart) { root.__mixflowChart.dispose(); }
    var chart = ec.init(box, null, { renderer: 'canvas', width: wd, height: ht });
    chart.setOption(opt);
    root.__mixflowChart = chart;
    if (img) { img.style.display = 'none'; }
    var note = root.querySelector('.mixflow-static-note');
    if (note) { note.style.display = 'none'; }
    root.setAttribute('data-mixflow-chart', 'ready');
  }

  function start(tries) {
    var root = document.getElementById(id);
    if (!root) {
      // JupyterLab may run the script before the output is attached to the page: retry for 5 s.
      if (tries < 50) { setTimeout(function () { start(tries + 1); }, 100); }
      return;
    }
    if (root.getAttribute('data-mixflow-chart') === 'ready') { return; }
    root.setAttribute('data-mixflow-chart', 'loading');
    load().then(function (ec) {
      try {
        render(root, ec);
      } catch (e) {
        root.setAttribute('data-mixflow-chart', 'static');
        root.setAttribute('data-mixflow-error', String(e));
      }
    }, function (e) {
      root.setAttribute('data-mixflow-chart', 'static');
      root.setAttribute('data-mixflow-error', String(e && e.message ? e.message : e));
    });
  }

  start(0);
})
