// The dashboard page: hash routes #/ (sweeps), #/sweep/NAME, #/trial/ID, #/compare.
// Data come aggregated from /api/v1/dashboard/; names are only ever set as textContent.
'use strict';

const API = '/api/v1/dashboard/';
const main = document.getElementById('main');
let refreshTimer = null;
// Who is looking (GET /api/v1/session): {user, role, mode: 'token' | 'local', csrf}; null
// until known. In token mode without a session the page shows the login form.
let me = null;
// The sweeps page shows only the viewer's own sweeps when set ("my sweeps").
let mySweepsOnly = false;

class LoginNeeded extends Error {}

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick' || k === 'onchange' || k === 'oninput' || k === 'onsubmit') el[k] = v;
    else if (k === 'style') el.style.cssText = v;  // CSSOM: the CSP forbids style attributes
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

async function getJson(route, params) {
  const qs = new URLSearchParams(params || {}).toString();
  const res = await fetch(API + route + (qs ? '?' + qs : ''), {credentials: 'same-origin'});
  const body = await res.json().catch(() => ({error: `HTTP ${res.status}`}));
  if (res.status === 401) throw new LoginNeeded(body.error || 'log in');
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

// A state change: JSON, with the session's CSRF token (the server refuses it otherwise).
async function postJson(path, payload) {
  const res = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': (me && me.csrf) || ''},
    body: JSON.stringify(payload || {})});
  const body = await res.json().catch(() => ({error: `HTTP ${res.status}`}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

// ---- login (token mode) ------------------------------------------------------------
async function whoAmI() {
  const res = await fetch('/api/v1/session', {credentials: 'same-origin'});
  me = res.ok ? await res.json() : null;
  const who = document.getElementById('who');
  who.replaceChildren();
  if (me && me.mode === 'token') {
    who.append(h('span', {class: 'user'}, `${me.user} (${me.role})`), ' ',
               h('button', {id: 'logout', onclick: logout}, 'log out'));
  }
  return me;
}

async function logout() {
  try {
    await postJson('/api/v1/session/logout', {});
  } finally {
    me = null;
    await whoAmI();
    route();
  }
}

function viewLogin(message) {
  const input = h('input', {type: 'password', id: 'token', autocomplete: 'current-password',
                            placeholder: 'paste your token', size: 40});
  const error = h('div', {class: 'error', id: 'login-error', hidden: ''});
  if (message) { error.textContent = message; error.hidden = false; }
  const form = h('form', {id: 'login', onsubmit: async ev => {
    ev.preventDefault();
    try {
      const res = await fetch('/api/v1/session', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({token: input.value})});
      const body = await res.json().catch(() => ({error: `HTTP ${res.status}`}));
      if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
      input.value = '';
      await whoAmI();
      route();
    } catch (e) {
      error.textContent = String(e.message || e);
      error.hidden = false;
    }
  }}, h('label', {}, 'Token ', input), ' ', h('button', {type: 'submit'}, 'log in'));
  setMain(h('h1', {}, 'Log in'),
          h('p', {class: 'note'}, 'This coordinator needs a token: the one in your token file (chromatune submit --token-file). ' +
            'The browser keeps a session cookie, not the token.'),
          form, error);
  input.focus();
}

// Whether the viewer may cancel sweep `s` (the server decides again: roles.h).
function mayCancel(data, s) {
  if (!data.can_cancel || !me || s.cancelled) return false;
  const c = s.counts;
  if (c.pending + c.leased + c.running === 0) return false;
  return me.role === 'admin' || (me.role === 'user' && s.user === me.user);
}

// A cancel button that asks once more before it acts.
function cancelButton(name) {
  const b = h('button', {class: 'cancel', 'data-sweep': name}, 'cancel');
  b.onclick = async () => {
    if (b.dataset.armed !== '1') {
      b.dataset.armed = '1';
      b.textContent = 'cancel? click again';
      setTimeout(() => { b.dataset.armed = ''; b.textContent = 'cancel'; }, 5000);
      return;
    }
    b.disabled = true;
    try {
      await postJson('/api/v1/sweeps/' + encodeURIComponent(name) + '/cancel', {});
      route();
    } catch (e) {
      b.textContent = 'refused: ' + String(e.message || e);
    }
  };
  return b;
}

// Replaces the page body; null children (optional sections) are skipped.
function setMain(...children) {
  main.replaceChildren(...children.flat().filter(c => c != null));
}

function showError(e) {
  setMain(h('div', {class: 'error'}, String(e.message || e)));
}

// A setting's label: its method and swept parameters as "k=v k=v". The server writes the
// parameters' text (swept_text, params_text) with the report's rule (storage/param_text.h).
function seriesLabel(c) {
  return c.swept_text ? `${c.method} ${c.swept_text}` : c.method;
}

function plotBox(svg, name) {
  return h('div', {class: 'plot'},
           h('div', {class: 'tools'},
             h('button', {onclick: () => downloadSvg(svg, name)}, 'SVG'),
             h('button', {onclick: () => downloadPng(svg, name)}, 'PNG')),
           svg);
}

function table(header, rows, opts) {
  const t = h('table', {class: (opts && opts.cls) || ''});
  t.appendChild(h('thead', {}, h('tr', {}, header.map(c => h('th', {}, c)))));
  const tb = h('tbody');
  for (const r of rows) tb.appendChild(h('tr', {}, r.map(v =>
      v instanceof Node ? h('td', {}, v) : h('td', {class: typeof v === 'number' ? 'num' : ''},
                                              v == null ? '–' : String(v)))));
  t.appendChild(tb);
  return t;
}

function progressBar(c) {
  const bar = h('span', {class: 'bar', title: `${c.done}/${c.total} done` + (c.stopped ? `, ${c.stopped} stopped early` : '')});
  for (const k of ['done', 'stopped', 'running', 'leased', 'failed', 'cancelled']) {
    if (c[k] > 0) bar.appendChild(h('span', {class: k, style: `width:${100 * c[k] / c.total}%`}));
  }
  return bar;
}

function secondsAgo(nowMs, ms) {
  return `${Math.max(0, Math.round((nowMs - ms) / 1000))} s ago`;
}

// What a worker group is doing: the trials that reported progress (sweep, setting, progress
// and note of their last heartbeat), and how many more it holds leased ahead.
function groupDoing(g) {
  const started = g.trials.filter(t => t.started);
  const ahead = g.trials.length - started.length;
  if (!g.trials.length) return h('span', {class: 'note'}, 'idle');
  return h('div', {class: 'doing'},
    started.map(t => h('div', {class: 'group-trial'},
      h('a', {href: `#/trial/${t.id}`}, `#${t.id}`), ` ${t.sweep}: ${t.method} shots=${t.shots} ` +
        `seeds ${t.data_seed}/${t.train_seed}` + (t.params_text ? ` ${t.params_text}` : ''),
      h('span', {class: 'progress-note'}, ` — ${Math.round(100 * t.progress)}%` + (t.note ? `, ${t.note}` : '')))),
    ahead ? h('div', {class: 'note'}, `${ahead} more leased ahead`) : null);
}

function fmtEta(s) {
  if (s == null) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

// ---- #/ : sweeps ---------------------------------------------------------------------
async function viewSweeps() {
  const data = await getJson('sweeps');
  const shown = data.sweeps.filter(s => !mySweepsOnly || (me && s.user === me.user));
  const actions = data.can_cancel && me && me.role !== 'viewer';
  const rows = shown.map(s => [
    h('a', {href: '#/sweep/' + encodeURIComponent(s.name)}, s.name), s.user,
    progressBar(s.counts), s.counts.pending, s.counts.running + s.counts.leased, s.counts.done,
    s.counts.stopped, s.counts.failed, s.cancelled ? 'cancelled' : fmtEta(s.eta_s),
    ...(actions ? [mayCancel(data, s) ? cancelButton(s.name) : ''] : [])]);
  const mine = h('input', {type: 'checkbox', id: 'my-sweeps', onchange: ev => {
    mySweepsOnly = ev.target.checked;
    route();
  }});
  mine.checked = mySweepsOnly;
  // Heard from: the group's own heartbeat or its trials' heartbeats, whichever is newer.
  const groups = data.groups.map(g => [g.id, g.host, g.ranks, g.state,
    h('span', {class: 'heard', title: `group heartbeat ${secondsAgo(data.now_ms, g.last_heartbeat_ms)}`},
      secondsAgo(data.now_ms, g.last_heard_ms)),
    groupDoing(g)]);
  setMain(
    h('h1', {}, 'Sweeps'),
    me && me.mode === 'token' ? h('div', {class: 'controls'}, h('label', {}, mine, ' my sweeps')) : null,
    shown.length ? table(['sweep', 'user', 'progress', 'pending', 'running', 'done', 'stopped', 'failed', 'ETA',
                          ...(actions ? [''] : [])], rows, {cls: 'sweeps'})
                 : h('p', {class: 'note'}, data.sweeps.length ? 'None of the sweeps is yours.' : 'No sweeps yet.'),
    h('h2', {}, 'Worker groups'),
    data.groups.length ? table(['id', 'host', 'ranks', 'state', 'last heard from', 'doing'], groups, {cls: 'groups'})
                       : h('p', {class: 'note'}, 'No active worker groups.'));
  refreshTimer = setTimeout(route, 5000);
}

// ---- #/sweep/NAME --------------------------------------------------------------------
function shotAxis(cells) {
  return [...new Set(cells.map(c => c.shots))].sort((a, b) => a - b);
}

// Plots of sweeps with hundreds of settings (random search) would be unreadable and slow to
// draw: they show at most kMaxSeries series, the baseline's and those with the highest mean
// at their largest shot count; the cells table and its CSV keep every cell.
const kMaxSeries = 12;
// Past this many paired comparisons the p-values are in the tooltips only.
const kMaxPLabels = 60;

// The series of the accuracy plot, in cell order, and the labels of those drawn.
function accuracySeries(summary) {
  const shots = shotAxis(summary.cells);
  const bySeries = new Map();
  summary.cells.forEach((c, i) => {
    const label = seriesLabel(c);
    if (!bySeries.has(label)) bySeries.set(label, {label, method: c.method, points: [], replicates: []});
    const s = bySeries.get(label);
    const cat = shots.indexOf(c.shots);
    s.points.push({cat, mean: c.mean, lo: c.ci95 ? c.ci95[0] : null, hi: c.ci95 ? c.ci95[1] : null});
    for (const p of (summary.points[i] || [])) s.replicates.push({cat, value: p.value});
  });
  const all = [...bySeries.values()];
  if (all.length <= kMaxSeries) return {shots, all, shown: all};
  const last = s => s.points.reduce((a, b) => (b.cat > a.cat ? b : a)).mean;
  const baseline = all.filter(s => s.method === summary.baseline).slice(0, kMaxSeries);
  const others = all.filter(s => s.method !== summary.baseline).sort((a, b) => last(b) - last(a));
  const keep = new Set([...baseline, ...others.slice(0, kMaxSeries - baseline.length)]);
  return {shots, all, shown: all.filter(s => keep.has(s))};
}

function accuracyPlot(summary, metric, series) {
  return bandPlot({title: `${metric} vs shots (mean, 95% CI, replicates)`, kind: 'accuracy',
                   categories: series.shots, xLabel: 'shots', yLabel: metric, series: series.shown});
}

// shownColours: label -> colour of the accuracy plot's series, so a method keeps its colour.
function pairedPlot(summary, shownColours) {
  const pairs = summary.paired.filter(p => p.baseline_found && p.n_pairs > 0 &&
                                           shownColours.has(seriesLabel(p)));
  if (!pairs.length) return null;
  const shots = [...new Set(pairs.map(p => p.shots))].sort((a, b) => a - b);
  const bySeries = new Map();
  for (const p of pairs) {
    const label = seriesLabel(p);
    if (!bySeries.has(label)) bySeries.set(label, {label, color: shownColours.get(label), points: []});
    bySeries.get(label).points.push({cat: shots.indexOf(p.shots), mean: p.mean_diff,
      lo: p.ci95 ? p.ci95[0] : null, hi: p.ci95 ? p.ci95[1] : null, p: p.p_t_holm});
  }
  return diffPlot({title: `paired difference vs ${summary.baseline} (Holm p)`, kind: 'paired',
                   categories: shots, xLabel: 'shots', yLabel: 'difference', series: [...bySeries.values()],
                   pLabels: pairs.length <= kMaxPLabels});
}

// A CPT colour parameter: its name, or rgb(r,g,b) for an unnamed triple.
function colourName(v) {
  if (Array.isArray(v)) return `rgb(${v.join(',')})`;
  if (v && typeof v === 'object') return typeof v.name === 'string' ? v.name : `rgb(${(v.rgb || []).join(',')})`;
  return String(v);
}

function cptPlots(summary) {
  const cells = summary.cells.filter(c => c.method === 'cpt' && c.params && c.params.color != null);
  if (!cells.length) return [];
  const shots = shotAxis(cells);
  const colours = [...new Set(cells.map(c => colourName(c.params.color)))];
  const values = colours.map(col => shots.map(s => {
    const c = cells.find(x => x.shots === s && colourName(x.params.color) === col);
    return c ? c.mean : null;
  }));
  const heat = heatmap({title: 'CPT: colour × shots', rows: colours, cols: shots, values, xLabel: 'shots'});
  const perColour = bandPlot({title: 'CPT per-colour score (mean over shots)', kind: 'per-colour',
    categories: colours, xLabel: 'colour', yLabel: summary.metric, legendWidth: 20, categorical: true,
    series: [{label: 'mean over shots', points: colours.map((col, i) => {
      const vs = values[i].filter(v => v != null);
      return {cat: i, mean: vs.reduce((a, b) => a + b, 0) / vs.length};
    })}]});
  return [plotBox(heat, 'cpt-heatmap'), plotBox(perColour, 'cpt-per-colour')];
}

// Rows of the cells table drawn at first; the rest on request (the CSV has all).
const kCellRows = 200;

function cellsTable(summary, name) {
  const header = ['method', 'params', 'shots', 'n', 'mean', 'std', 'ci95 lo', 'ci95 hi'];
  const rows = summary.cells.map(c => [c.method, c.swept_text, c.shots, c.n, c.mean, c.std,
                                       c.ci95 ? c.ci95[0] : null, c.ci95 ? c.ci95[1] : null]);
  const shown = rows.map(r => r.map((v, i) => i >= 4 ? fmt(v) : v));  // mean, std, CI
  const box = h('div', {});
  const draw = limit => {
    const more = shown.length > limit ? h('p', {class: 'note'}, `Showing ${limit} of ${shown.length} cells `,
        h('button', {class: 'all-cells', onclick: () => draw(shown.length)}, 'show all')) : null;
    box.replaceChildren(
      h('h2', {}, 'Cells ', h('button', {onclick: () => downloadCsv(header, rows, name + '-cells')}, 'CSV')),
      table(header, shown.slice(0, limit), {cls: 'cells'}), ...(more ? [more] : []));
  };
  draw(kCellRows);
  return box;
}

// A trial's state; a trial the search stopped says where ("stopped at rung 1").
function stateLabel(t) {
  return t.state === 'stopped' && t.stopped_at_rung != null ? `stopped at rung ${t.stopped_at_rung}` : t.state;
}

// Rows of the stopped-trials table drawn (the trial table's "stopped" filter pages them all).
const kStoppedRows = 200;

// What an adaptive search did, as `chromatune report` shows it: its configurations and
// compute, and its stopped trials apart (they are in no cell).
function searchSection(search) {
  if (!search) return null;
  const rows = search.stopped.slice(0, kStoppedRows).map(t => [
    h('a', {href: `#/trial/${t.trial_id}`}, String(t.trial_id)), t.method, t.shots,
    `${t.data_seed}/${t.train_seed}`, t.params_text, `rung ${t.rung}`, t.epochs_run]);
  return h('div', {id: 'search'},
    h('h2', {}, 'Search'),
    h('p', {class: 'search-summary'}, `${search.configs} configurations, ${search.stopped_early} stopped early ` +
      `(${search.trials_stopped} trials); ${search.epochs_run} trial-epochs run of ${search.epochs_if_full} ` +
      'if every trial ran to the end'),
    rows.length ? h('h3', {}, 'Stopped trials (not in the cells above)') : null,
    rows.length ? table(['trial', 'method', 'shots', 'seeds', 'params', 'stopped at', 'epochs run'], rows, {cls: 'stopped-trials'}) : null,
    search.stopped.length > rows.length
      ? h('p', {class: 'note'}, `Showing ${rows.length} of ${search.stopped.length} stopped trials.`) : null);
}

const trialQuery = {state: '', method: '', q: '', sort: 'id', desc: '0', offset: 0};

async function trialTable(name, container) {
  const data = await getJson('trials', Object.assign({sweep: name, limit: 50}, trialQuery));
  const header = ['id', 'method', 'shots', 'data_seed', 'train_seed', 'state', 'value', 'params'];
  const sortable = {id: 'id', method: 'method', shots: 'shots', data_seed: 'data_seed',
                    train_seed: 'train_seed', state: 'state', value: 'value'};
  const t = h('table', {class: 'trials'});
  t.appendChild(h('thead', {}, h('tr', {}, header.map(c => {
    const th = h('th', {class: sortable[c] ? 'sortable' : ''}, c + (trialQuery.sort === c ? (trialQuery.desc === '1' ? ' ▼' : ' ▲') : ''));
    if (sortable[c]) th.onclick = () => {
      trialQuery.desc = trialQuery.sort === c && trialQuery.desc === '0' ? '1' : '0';
      trialQuery.sort = c; trialQuery.offset = 0; trialTable(name, container);
    };
    return th;
  }))));
  const tb = h('tbody');
  for (const r of data.rows) {
    tb.appendChild(h('tr', {}, h('td', {}, h('a', {href: `#/trial/${r.id}`}, String(r.id))),
      h('td', {}, r.method), h('td', {class: 'num'}, String(r.shots)), h('td', {class: 'num'}, String(r.data_seed)),
      h('td', {class: 'num'}, String(r.train_seed)), h('td', {class: 'state'}, stateLabel(r)),
      h('td', {class: 'num'}, fmt(r.value)), h('td', {class: 'params'}, r.params_text)));
  }
  t.appendChild(tb);
  const methodSel = h('select', {name: 'method', onchange: e => { trialQuery.method = e.target.value; trialQuery.offset = 0; trialTable(name, container); }},
    h('option', {value: ''}, 'all methods'), data.methods.map(m => h('option', {value: m}, m)));
  methodSel.value = trialQuery.method;
  const stateSel = h('select', {name: 'state', onchange: e => { trialQuery.state = e.target.value; trialQuery.offset = 0; trialTable(name, container); }},
    ['', 'pending', 'leased', 'running', 'done', 'stopped', 'failed', 'cancelled'].map(s => h('option', {value: s}, s || 'all states')));
  stateSel.value = trialQuery.state;
  const search = h('input', {type: 'search', name: 'q', placeholder: 'filter text', value: trialQuery.q});
  search.onchange = e => { trialQuery.q = e.target.value; trialQuery.offset = 0; trialTable(name, container); };
  const csv = h('button', {onclick: async () => {
    const all = [];
    for (let off = 0; ; off += 1000) {
      const page = await getJson('trials', Object.assign({sweep: name}, trialQuery, {offset: off, limit: 1000}));
      all.push(...page.rows);
      if (off + 1000 >= page.total) break;
    }
    downloadCsv(header, all.map(r => header.map(k => r[k])), name + '-trials');
  }}, 'CSV');
  const pager = h('span', {class: 'note'}, `${data.total} trials; showing ${data.total ? data.offset + 1 : 0}–${data.offset + data.rows.length} `,
    h('button', {onclick: () => { trialQuery.offset = Math.max(0, trialQuery.offset - 50); trialTable(name, container); }}, '‹'),
    h('button', {onclick: () => { if (trialQuery.offset + 50 < data.total) { trialQuery.offset += 50; trialTable(name, container); } }}, '›'));
  container.replaceChildren(h('h2', {}, 'Trials'), h('div', {class: 'controls'}, methodSel, stateSel, search, csv, pager), t);
}

async function viewSweep(name, params) {
  const metric = params.get('metric') || 'accuracy';
  const summary = await getJson('summary', {sweep: name, metric, baseline: params.get('baseline') || 'finetune'});
  const metricSel = h('select', {name: 'metric', onchange: e => { location.hash = `#/sweep/${encodeURIComponent(name)}?metric=${encodeURIComponent(e.target.value)}`; }},
    summary.metrics.map(m => h('option', {value: m}, m)));
  metricSel.value = metric;
  const plots = h('div', {class: 'plots'});
  const series = accuracySeries(summary);
  if (summary.cells.length) plots.appendChild(plotBox(accuracyPlot(summary, metric, series), name + '-' + metric));
  const paired = pairedPlot(summary, new Map(series.shown.map((s, i) => [s.label, seriesColour(s, i)])));
  if (paired) plots.appendChild(plotBox(paired, name + '-paired'));
  for (const box of cptPlots(summary)) plots.appendChild(box);
  const c = summary.counts;
  const trials = h('div', {id: 'trial-table'});
  setMain(
    h('h1', {}, 'Sweep ', h('span', {class: 'sweep-name'}, name)),
    h('div', {class: 'controls'}, progressBar(c),
      h('span', {class: 'counts'}, `${c.done} done, ${c.running + c.leased} running, ${c.pending} pending, ${c.failed} failed` +
        (c.stopped ? `, ${c.stopped} stopped early` : '')),
      h('label', {class: 'metric-choice'}, 'metric ', metricSel)),
    summary.notes.length ? h('p', {class: 'note'}, summary.notes.join('; ')) : null,
    summary.points_omitted ? h('p', {class: 'note'}, 'Replicate points omitted: too many to draw.') : null,
    series.shown.length < series.all.length
      ? h('p', {class: 'note series-note'}, `The plots show ${series.shown.length} of ${series.all.length} settings ` +
          `(${summary.baseline} and the highest means at the largest shot count); the cells table has them all.`)
      : null,
    plots, cellsTable(summary, name), searchSection(summary.search), trials);
  await trialTable(name, trials);
}

// ---- #/trial/ID ----------------------------------------------------------------------
// Rung marks of a searched trial's curves: each rung epoch, the one it was stopped at apart.
function rungMarks(search) {
  if (!search) return [];
  return search.rung_epochs.map((epoch, r) => ({x: epoch, label: `rung ${r}`, stop: r === search.stopped_at_rung}));
}

// "state stopped at rung 1 (epoch 3) after 3 epochs", "state running, 40% (epoch 4/10)".
function trialStateText(t) {
  let text = `state ${t.state}`;
  const s = t.search;
  if (t.state === 'stopped' && s && s.stopped_at_rung != null) {
    text += ` at rung ${s.stopped_at_rung} (epoch ${s.stopped_at_epoch}) after ${s.epochs_run} epochs`;
  } else if (t.state === 'running' || t.state === 'leased') {
    text += `, ${Math.round(100 * t.progress)}%` + (t.progress_note ? ` (${t.progress_note})` : '');
  }
  return `${text}, attempt ${t.attempt}`;
}

async function viewTrial(id) {
  const t = await getJson('trial', {id});
  const plots = h('div', {class: 'plots'});
  const marks = rungMarks(t.search);
  for (const c of t.curves) {
    plots.appendChild(plotBox(linePlot({title: c.name, kind: 'curve', xLabel: 'step', yLabel: c.name,
      series: [{label: c.name, xs: c.steps, ys: c.values}], marks}), `trial-${id}-${c.name}`));
  }
  const metrics = Object.entries(t.metrics).map(([k, v]) => [k, fmt(v)]);
  setMain(
    h('h1', {}, `Trial ${t.id} of `, h('a', {href: '#/sweep/' + encodeURIComponent(t.sweep)}, t.sweep)),
    h('p', {class: 'trial-state'}, trialStateText(t), t.error ? h('span', {class: 'error'}, ' ' + t.error) : null),
    h('h2', {}, `Curves (from ${t.curves_source})`),
    t.curves.length ? plots : h('p', {class: 'note'}, 'No curves recorded.'),
    h('h2', {}, 'Metrics'), table(['metric', 'value'], metrics),
    h('h2', {}, 'Parameters'), h('p', {class: 'params-text'}, t.params_text || '(none)'),
    h('pre', {class: 'params'}, JSON.stringify(t.item, null, 2)),
    h('h2', {}, 'Arrays'), table(['name', 'shape'], t.arrays.map(a => [a.name, JSON.stringify(a.shape)])),
    h('h2', {}, 'Attempts'), table(['attempt', 'group', 'outcome', 'error'], t.attempts.map(a => [a.attempt, a.worker_group, a.outcome, a.error])));
}

// ---- #/compare -----------------------------------------------------------------------
async function viewCompare(params) {
  const sweeps = (await getJson('sweeps')).sweeps.map(s => s.name);
  const a = params.get('a') || sweeps[0] || '', b = params.get('b') || sweeps[1] || sweeps[0] || '';
  const pick = (name, value) => {
    const sel = h('select', {name}, sweeps.map(s => h('option', {value: s}, s)));
    sel.value = value;
    sel.onchange = () => {
      const q = new URLSearchParams({a: name === 'a' ? sel.value : a, b: name === 'b' ? sel.value : b});
      location.hash = '#/compare?' + q.toString();
    };
    return sel;
  };
  const head = [h('h1', {}, 'Compare two sweeps'), h('div', {class: 'controls'}, 'A ', pick('a', a), ' B ', pick('b', b))];
  if (!a || !b) { setMain(...head, h('p', {class: 'note'}, 'Need sweeps to compare.')); return; }
  const cmp = await getJson('compare', {a, b, metric: params.get('metric') || 'accuracy'});
  const shots = [...new Set(cmp.rows.map(r => r.shots))].sort((x, y) => x - y);
  const series = [];
  for (const side of ['a', 'b']) {
    const bySeries = new Map();
    for (const r of cmp.rows) {
      if (!r[side]) continue;
      const label = `${side === 'a' ? 'A' : 'B'}: ${seriesLabel(r)}`;
      if (!bySeries.has(label)) bySeries.set(label, {label, points: [], dashed: side === 'b'});
      const v = r[side];
      bySeries.get(label).points.push({cat: shots.indexOf(r.shots), mean: v.mean,
        lo: v.ci95 ? v.ci95[0] : null, hi: v.ci95 ? v.ci95[1] : null});
    }
    series.push(...bySeries.values());
  }
  const header = ['method', 'params', 'shots', 'A n', 'A mean', 'B n', 'B mean', 'B − A'];
  const rows = cmp.rows.map(r => [r.method, r.swept_text, r.shots, r.a ? r.a.n : null, r.a ? r.a.mean : null,
                                  r.b ? r.b.n : null, r.b ? r.b.mean : null, r.a && r.b ? r.b.mean - r.a.mean : null]);
  setMain(...head,
    series.length ? h('div', {class: 'plots'}, plotBox(bandPlot({title: `${cmp.metric}: A solid, B dashed`, kind: 'compare',
      categories: shots, xLabel: 'shots', yLabel: cmp.metric, series, legendWidth: 190}), 'compare')) : null,
    h('h2', {}, 'Cells ', h('button', {onclick: () => downloadCsv(header, rows, 'compare')}, 'CSV')),
    table(header, rows.map(r => r.map(v => typeof v === 'number' && !Number.isInteger(v) ? fmt(v) : v)), {cls: 'compare'}));
}

async function route() {
  clearTimeout(refreshTimer);
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  try {
    if (me === null) await whoAmI();
    if (path.startsWith('/sweep/')) await viewSweep(decodeURIComponent(path.slice(7)), params);
    else if (path.startsWith('/trial/')) await viewTrial(path.slice(7));
    else if (path.startsWith('/compare')) await viewCompare(params);
    else await viewSweeps();
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.ready = hash;
  } catch (e) {
    if (e instanceof LoginNeeded) {
      me = null;
      viewLogin(e.message.startsWith('no valid session') ? 'Your session has ended: log in again.' : '');
      document.body.dataset.ready = 'login';
      return;
    }
    showError(e);
    document.body.dataset.ready = 'error';
  }
}

window.addEventListener('hashchange', () => { trialQuery.offset = 0; route(); });
route();
