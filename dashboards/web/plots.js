// Small SVG plotting helpers for the dashboard. Every text node is set with textContent,
// so names from sweep files are never interpreted as markup.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#3a78d8', '#d64545', '#2e9d5b', '#e08a1e', '#8e5bd6', '#1aa3a3', '#c2418f',
                 '#6b7a8f', '#9a7b2e', '#4b4bd6'];

// A series' colour: its own `color` when the caller fixed one (the paired plot reuses the
// accuracy plot's colours), else the palette by position.
function seriesColour(s, i) { return s.color || PALETTE[i % PALETTE.length]; }

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

function svgText(parent, x, y, text, attrs) {
  const t = svgEl('text', Object.assign({x, y, 'font-size': 11, fill: '#333'}, attrs || {}), parent);
  t.textContent = text;
  return t;
}

function niceTicks(lo, hi, count) {
  if (!isFinite(lo) || !isFinite(hi)) return [];
  if (hi === lo) { hi = lo + 1; lo = lo - 1; }
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => raw <= s) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

// A frame with axes. xs: ordinal categories (array of labels) or null for a numeric x.
function frame(opts) {
  const W = opts.width || 520, H = opts.height || 320;
  const m = {l: 56, r: opts.legendWidth || 150, t: 28, b: 42};
  const svg = svgEl('svg', {xmlns: SVG_NS, width: W, height: H, viewBox: `0 0 ${W} ${H}`,
                            class: 'chart', 'data-kind': opts.kind || 'plot'});
  svgEl('rect', {x: 0, y: 0, width: W, height: H, fill: '#fff'}, svg);
  svgText(svg, m.l, 16, opts.title || '', {'font-size': 13, 'font-weight': 600});
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  let [ylo, yhi] = opts.yRange;
  if (!(yhi > ylo)) { ylo -= 0.5; yhi += 0.5; }
  const pad = (yhi - ylo) * 0.06; ylo -= pad; yhi += pad;
  const y = v => m.t + ph - (v - ylo) / (yhi - ylo) * ph;
  let x;
  if (opts.categories) {
    const n = opts.categories.length;
    x = i => m.l + (n === 1 ? pw / 2 : (i + 0.5) * pw / n);
  } else {
    let [xlo, xhi] = opts.xRange;
    if (!(xhi > xlo)) { xlo -= 1; xhi += 1; }
    x = v => m.l + (v - xlo) / (xhi - xlo) * pw;
    for (const t of niceTicks(xlo, xhi, 6)) {
      svgEl('line', {x1: x(t), x2: x(t), y1: m.t + ph, y2: m.t + ph + 4, stroke: '#666'}, svg);
      svgText(svg, x(t), m.t + ph + 16, String(t), {'text-anchor': 'middle'});
    }
  }
  const axes = svgEl('g', {class: 'axes'}, svg);
  svgEl('line', {x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph, stroke: '#666'}, axes);
  svgEl('line', {x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, stroke: '#666'}, axes);
  for (const t of niceTicks(ylo, yhi, 5)) {
    svgEl('line', {x1: m.l, x2: m.l + pw, y1: y(t), y2: y(t), stroke: '#eee'}, axes);
    svgText(axes, m.l - 6, y(t) + 4, String(t), {'text-anchor': 'end'});
  }
  if (opts.categories) {
    opts.categories.forEach((c, i) => svgText(axes, x(i), m.t + ph + 16, String(c),
                                              {'text-anchor': 'middle'}));
  }
  svgText(svg, m.l + pw / 2, H - 8, opts.xLabel || '', {'text-anchor': 'middle'});
  svgText(svg, 14, m.t + ph / 2, opts.yLabel || '',
          {'text-anchor': 'middle', transform: `rotate(-90 14 ${m.t + ph / 2})`});
  const marks = svgEl('g', {class: 'marks'}, svg);
  return {svg, marks, x, y, m, pw, ph, W, H};
}

function legend(f, entries) {
  entries.forEach((e, i) => {
    const yy = f.m.t + 10 + i * 16;
    svgEl('rect', {x: f.W - f.m.r + 10, y: yy - 8, width: 10, height: 10, fill: e.color, class: 'legend'}, f.svg);
    const t = svgText(f.svg, f.W - f.m.r + 24, yy + 1, e.label.length > 22 ? e.label.slice(0, 21) + '…' : e.label,
                      {class: 'legend'});
    svgEl('title', {}, t).textContent = e.label;
  });
}

// Mean ± CI band per series over ordinal shot counts, replicate points faint.
// series: [{label, points: [{cat, mean, lo, hi}], replicates: [{cat, value}]}]
// categorical: true for unordered categories (no band or line joins them, no legend).
function bandPlot(opts) {
  const vals = [];
  for (const s of opts.series) {
    for (const p of s.points) vals.push(p.mean, p.lo ?? p.mean, p.hi ?? p.mean);
    for (const r of s.replicates || []) vals.push(r.value);
  }
  const f = frame(Object.assign({}, opts, {yRange: [Math.min(...vals), Math.max(...vals)]}));
  opts.series.forEach((s, si) => {
    const color = seriesColour(s, si);
    const pts = s.points.slice().sort((a, b) => a.cat - b.cat);
    const withCi = pts.filter(p => p.lo != null && p.hi != null);
    if (withCi.length >= 2 && !opts.categorical) {
      const up = withCi.map(p => `${f.x(p.cat)},${f.y(p.hi)}`);
      const down = withCi.slice().reverse().map(p => `${f.x(p.cat)},${f.y(p.lo)}`);
      svgEl('polygon', {points: up.concat(down).join(' '), fill: color, 'fill-opacity': 0.15,
                        stroke: 'none', class: 'band'}, f.marks);
    }
    for (const p of withCi) {
      svgEl('line', {x1: f.x(p.cat), x2: f.x(p.cat), y1: f.y(p.lo), y2: f.y(p.hi), stroke: color,
                     'stroke-opacity': 0.6}, f.marks);
    }
    for (const r of s.replicates || []) {
      svgEl('circle', {cx: f.x(r.cat) + (Math.random() - 0.5) * 8, cy: f.y(r.value), r: 2.2,
                       fill: color, 'fill-opacity': 0.25, class: 'replicate'}, f.marks);
    }
    if (pts.length >= 2 && !opts.categorical) {
      svgEl('polyline', {points: pts.map(p => `${f.x(p.cat)},${f.y(p.mean)}`).join(' '),
                         fill: 'none', stroke: color, 'stroke-width': 2,
                         'stroke-dasharray': s.dashed ? '5 3' : 'none'}, f.marks);
    }
    for (const p of pts) {
      const c = svgEl('circle', {cx: f.x(p.cat), cy: f.y(p.mean), r: 3.5, fill: color, class: 'mean'},
                      f.marks);
      const title = svgEl('title', {}, c);
      title.textContent = `${s.label}: ${fmt(p.mean)}` + (p.lo != null ? ` [${fmt(p.lo)}, ${fmt(p.hi)}]` : '');
    }
  });
  if (!opts.categorical) legend(f, opts.series.map((s, i) => ({label: s.label, color: seriesColour(s, i)})));
  return f.svg;
}

// Paired differences (method − baseline) with CI bars and p-values, per shot count.
// series: [{label, points: [{cat, mean, lo, hi, p}]}]; pLabels false: p-values in tooltips only.
function diffPlot(opts) {
  const vals = [0];
  for (const s of opts.series) for (const p of s.points) vals.push(p.mean, p.lo ?? p.mean, p.hi ?? p.mean);
  const f = frame(Object.assign({}, opts, {yRange: [Math.min(...vals), Math.max(...vals)]}));
  svgEl('line', {x1: f.m.l, x2: f.m.l + f.pw, y1: f.y(0), y2: f.y(0), stroke: '#333',
                 'stroke-dasharray': '3 3'}, f.marks);
  const k = opts.series.length;
  opts.series.forEach((s, si) => {
    const color = seriesColour(s, si);
    const dx = (si - (k - 1) / 2) * 7;
    for (const p of s.points) {
      const cx = f.x(p.cat) + dx;
      if (p.lo != null) {
        svgEl('line', {x1: cx, x2: cx, y1: f.y(p.lo), y2: f.y(p.hi), stroke: color,
                       'stroke-width': 2}, f.marks);
      }
      const c = svgEl('circle', {cx, cy: f.y(p.mean), r: 3.5, fill: color, class: 'mean'}, f.marks);
      svgEl('title', {}, c).textContent = `${s.label}: Δ=${fmt(p.mean)} p=${fmt(p.p)}`;
      if (p.p != null && opts.pLabels !== false) {
        svgText(f.marks, cx + 4, f.y(p.mean) - 5, `p=${fmtP(p.p)}`, {'font-size': 9, fill: color});
      }
    }
  });
  legend(f, opts.series.map((s, i) => ({label: s.label, color: seriesColour(s, i)})));
  return f.svg;
}

// Heatmap: rows × columns of values in [lo, hi], blue scale, numbers printed.
function heatmap(opts) {
  const cw = 54, ch = 24, l = 110, t = 30;
  const W = l + cw * opts.cols.length + 20, H = t + ch * opts.rows.length + 30;
  const svg = svgEl('svg', {xmlns: SVG_NS, width: W, height: H, viewBox: `0 0 ${W} ${H}`,
                            class: 'chart', 'data-kind': 'heatmap'});
  svgEl('rect', {x: 0, y: 0, width: W, height: H, fill: '#fff'}, svg);
  svgText(svg, 6, 16, opts.title || '', {'font-size': 13, 'font-weight': 600});
  const vals = opts.values.flat().filter(v => v != null);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const marks = svgEl('g', {class: 'marks'}, svg);
  opts.rows.forEach((r, i) => {
    svgText(svg, l - 6, t + i * ch + ch / 2 + 4, r, {'text-anchor': 'end'});
    opts.cols.forEach((c, j) => {
      const v = opts.values[i][j];
      const a = v == null ? 0 : (hi > lo ? (v - lo) / (hi - lo) : 0.5);
      const cell = svgEl('rect', {x: l + j * cw, y: t + i * ch, width: cw - 2, height: ch - 2,
                                  fill: v == null ? '#f0f0f0' : `rgba(58,120,216,${0.12 + 0.88 * a})`,
                                  class: 'cell'}, marks);
      svgEl('title', {}, cell).textContent = `${r} @ ${c}: ${v == null ? 'n/a' : fmt(v)}`;
      if (v != null) svgText(marks, l + j * cw + cw / 2 - 1, t + i * ch + ch / 2 + 4, fmt(v),
                             {'text-anchor': 'middle', fill: a > 0.6 ? '#fff' : '#111', 'font-size': 10});
    });
  });
  opts.cols.forEach((c, j) => svgText(svg, l + j * cw + cw / 2, t + ch * opts.rows.length + 16, String(c),
                                      {'text-anchor': 'middle'}));
  svgText(svg, l + (cw * opts.cols.length) / 2, H - 2, opts.xLabel || '', {'text-anchor': 'middle'});
  return svg;
}

// Line plot over numeric x: series [{label, xs, ys}]. marks: vertical lines at x with a
// label, [{x, label, stop}] (a searched trial's rungs; `stop` the rung it was stopped at, in
// red), drawn where they fall within the series' x range.
function linePlot(opts) {
  const xs = opts.series.flatMap(s => s.xs), ys = opts.series.flatMap(s => s.ys);
  const f = frame(Object.assign({}, opts, {xRange: [Math.min(...xs), Math.max(...xs)],
                                           yRange: [Math.min(...ys), Math.max(...ys)]}));
  const [xlo, xhi] = [Math.min(...xs), Math.max(...xs)];
  for (const mark of (opts.marks || []).filter(m => m.x >= xlo && m.x <= xhi)) {
    const colour = mark.stop ? '#d64545' : '#999';
    svgEl('line', {x1: f.x(mark.x), x2: f.x(mark.x), y1: f.m.t, y2: f.m.t + f.ph, stroke: colour,
                   'stroke-dasharray': '4 3', class: mark.stop ? 'rung stop' : 'rung'}, f.marks);
    svgText(f.marks, f.x(mark.x) + 3, f.m.t + 10, mark.stop ? `${mark.label}: stopped` : mark.label,
            {'font-size': 9, fill: colour, class: 'rung-label'});
  }
  opts.series.forEach((s, si) => {
    const color = seriesColour(s, si);
    const pts = s.xs.map((xv, i) => `${f.x(xv)},${f.y(s.ys[i])}`);
    if (pts.length === 1) {
      svgEl('circle', {cx: f.x(s.xs[0]), cy: f.y(s.ys[0]), r: 3, fill: color, class: 'mean'}, f.marks);
    } else {
      svgEl('polyline', {points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 2,
                         class: 'curve'}, f.marks);
    }
  });
  legend(f, opts.series.map((s, i) => ({label: s.label, color: seriesColour(s, i)})));
  return f.svg;
}

function fmt(v) {
  if (v == null || Number.isNaN(v)) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}
function fmtP(p) { return p == null ? '–' : (p < 0.001 ? p.toExponential(1) : p.toFixed(3)); }

function downloadBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 0);
}

function svgBlob(svg) {
  return new Blob([new XMLSerializer().serializeToString(svg)], {type: 'image/svg+xml'});
}

function downloadSvg(svg, name) { downloadBlob(svgBlob(svg), name + '.svg'); }

function downloadPng(svg, name) {
  const img = new Image();
  const url = URL.createObjectURL(svgBlob(svg));
  img.onload = () => {
    const canvas = document.createElement('canvas');
    canvas.width = svg.width.baseVal.value * 2;
    canvas.height = svg.height.baseVal.value * 2;
    const ctx = canvas.getContext('2d');
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    URL.revokeObjectURL(url);
    canvas.toBlob(b => downloadBlob(b, name + '.png'), 'image/png');
  };
  img.src = url;
}

function csvOf(header, rows) {
  const q = v => {
    const s = v == null ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v));
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [header.map(q).join(',')].concat(rows.map(r => r.map(q).join(','))).join('\n') + '\n';
}

function downloadCsv(header, rows, name) {
  downloadBlob(new Blob([csvOf(header, rows)], {type: 'text/csv'}), name + '.csv');
}
