// Browser tests of the dashboard: Debian's chromium driven by playwright-core, against
// `chromatune dashboard` serving one store that holds
//  - two small real sweeps (`chromatune run`: coordinator in process, worker groups under
//    mpirun, `noop` trials), one of them named `<script>alert(1)</script>`;
//  - a grounding sweep in CPT's protocol (the five colours and the palette zero-shot and
//    prompt-tuned at shots 1/4/16, red-circle, finetune as the baseline; 3 data seeds,
//    laid out as the planner does) for the colour × shots heatmap,
//    the per-colour scores and the paired differences. Its trials are SYNTHETIC, written
//    through the store's write path by dashboard_fixture (dashboard_fixture.cc): a real
//    grounding sweep needs a pretrained backbone first, which takes minutes on two cores,
//    far over this test's budget, and noop trials cannot carry method names or colours;
//  - an adaptive search (`chromatune run`, ASHA over 9 noop configurations × 2 data seeds,
//    the deterministic curves of tests/integration/search_faults_test.py) whose weak
//    configurations are stopped at a rung;
//  - a sweep that a worker group is busy with (live_group_fixture.cc): its group heartbeat
//    184 s old, its trial heartbeat fresh, with a progress note.
// Screenshots are saved under $CHROMATUNE_ARTIFACTS (default: a temporary folder, printed).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, writeFileSync, mkdirSync, rmSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDashboard, launchChromium, gotoRendered} from './dashboard_util.mjs';

const BIN = process.env.CHROMATUNE_BIN;
const FIXTURE = process.env.CHROMATUNE_FIXTURE;
const LIVE_FIXTURE = process.env.CHROMATUNE_LIVE_FIXTURE;
assert.ok(BIN, 'CHROMATUNE_BIN must name the chromatune binary');
assert.ok(FIXTURE, 'CHROMATUNE_FIXTURE must name the dashboard_fixture binary');
assert.ok(LIVE_FIXTURE, 'CHROMATUNE_LIVE_FIXTURE must name the live_group_fixture binary');
const work = mkdtempSync(join(tmpdir(), 'ct-browser-'));
const shots = process.env.CHROMATUNE_ARTIFACTS || join(work, 'screenshots');
mkdirSync(shots, {recursive: true});
const db = join(work, 'dash.sqlite');
const XSS = '<script>alert(1)</script>';
const GROUNDING = 'fashionref-cpt';
const MANY = 'fashionref-cpt-3-settings';  // 24 series: more than the plots draw
const COLOURS = ['red', 'purple', 'green', 'yellow', 'blue'];
const ASHA = 'asha-noop';
const LIVE = 'live-coop';
const GROUP_AGE_S = 184;  // the group heartbeat's age in issue 21's report
let live;  // {running, leased}: trial ids of the busy group

let dashboard, browser, base;
const consoleErrors = [];

function sweepYaml(name, values) {
  return `name: "${name}"
task: classification
dataset: fashion-mnist
shots: [1, 2, 4]
replicates: {data_seeds: [1, 2, 3], train_seeds: [1]}
methods:
  - {name: noop, value: [${values.join(', ')}], sleep_ms: 20}
retries: 0
`;
}

// ASHA over 9 configurations (value, rate 0.3: a curve per configuration) x 2 data seeds,
// rungs at epochs 1, 3, 9 (eta 3).
function ashaYaml(name) {
  return `name: ${name}
task: classification
dataset: fashion-mnist
shots: [1]
replicates: {data_seeds: [1, 2], train_seeds: [1]}
methods:
  - {name: noop, value: [0.5, 0.8, 0.3, 0.9, 0.6, 0.7, 0.2, 0.95, 0.4], rate: 0.3, sleep_ms: 90}
search: {mode: grid, scheduler: {name: asha, min: 1, max: 9, eta: 3}}
retries: 0
`;
}

function runYaml(file, yaml) {
  writeFileSync(file, yaml);
  execFileSync(BIN, ['run', file, '--db', db, '--workers', '1', '--ranks', '1', '--no-progress'],
               {stdio: ['ignore', 'pipe', 'inherit'], timeout: 240000});
}

function runSweep(name, values) {
  runYaml(join(work, `sweep-${values.join('-')}.yaml`), sweepYaml(name, values));
}

async function apiGet(page, route, params) {
  return page.evaluate(async ([r, p]) => (await fetch('/api/v1/dashboard/' + r + '?' + new URLSearchParams(p))).json(),
                       [route, params]);
}

async function openPage(hash) {
  const page = await browser.newPage({viewport: {width: 1400, height: 1000}});
  page.on('console', msg => { if (msg.type() === 'error') consoleErrors.push(`${hash}: ${msg.text()}`); });
  page.on('pageerror', err => consoleErrors.push(`${hash}: ${err.message}`));
  page.on('dialog', async d => { consoleErrors.push(`${hash}: a dialog opened: ${d.message()}`); await d.dismiss(); });
  await gotoRendered(page, base, hash);
  return page;
}

before(async () => {
  runSweep('noop-a', [0.4, 0.6]);
  runSweep(XSS, [0.5, 0.7]);
  runYaml(join(work, 'asha.yaml'), ashaYaml(ASHA));
  for (const args of [['--sweep', GROUNDING, '--data-seeds', '3'],
                      ['--sweep', MANY, '--settings', '3', '--data-seeds', '2']]) {
    execFileSync(FIXTURE, ['--db', db, ...args], {stdio: ['ignore', 'pipe', 'inherit'], timeout: 120000});
  }
  // Last: a `chromatune run` after it would retire the fixture's group.
  const out = execFileSync(LIVE_FIXTURE, ['--db', db, '--sweep', LIVE, '--group-age-s', String(GROUP_AGE_S)],
                           {stdio: ['ignore', 'pipe', 'inherit'], timeout: 60000}).toString();
  const m = out.match(/running=(\d+) leased=(\d+)/);
  assert.ok(m, out);
  live = {running: Number(m[1]), leased: Number(m[2])};
  ({child: dashboard, url: base} = await startDashboard(BIN, db));
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (dashboard) dashboard.kill('SIGTERM');
  console.log(`screenshots in ${shots}`);
  // The store and its HDF5 file (dash.h5, the default next to dash.sqlite) go; the
  // screenshots stay (in `work` only when no CHROMATUNE_ARTIFACTS was given).
  assert.ok(existsSync(join(work, 'dash.h5')), 'the artifacts belong in dash.h5 next to dash.sqlite');
  if (process.env.CHROMATUNE_ARTIFACTS) rmSync(work, {recursive: true, force: true});
  else for (const f of ['dash.sqlite', 'dash.sqlite-wal', 'dash.sqlite-shm', 'dash.h5']) rmSync(join(work, f), {force: true});
});

test('sweeps page lists every sweep with progress, the hostile name as text', async () => {
  const page = await openPage('#/');
  const names = await page.$$eval('table.sweeps tbody tr td:first-child', tds => tds.map(t => t.textContent));
  assert.deepEqual(names.sort(), [XSS, 'noop-a', GROUNDING, MANY, ASHA, LIVE].sort());
  assert.equal(await page.$$eval('table.sweeps .bar span.done', s => s.length), 6);
  await page.screenshot({path: join(shots, 'sweeps.png'), fullPage: true});
  await page.close();
});

test('sweep page draws the accuracy plot with CI bands and replicate points', async () => {
  const page = await openPage('#/sweep/noop-a');
  const means = await page.$$eval('svg[data-kind="accuracy"] .marks circle.mean', c => c.length);
  assert.equal(means, 6, '2 settings x 3 shot counts');
  // Every replicate: 2 settings x 3 shots x 3 data seeds.
  assert.equal(await page.$$eval('svg[data-kind="accuracy"] .marks circle.replicate', c => c.length), 18);
  assert.ok(await page.$$eval('svg[data-kind="accuracy"] .marks polyline', c => c.length) >= 2);
  assert.ok((await page.$$eval('table.cells tbody tr', r => r.length)) === 6);
  // Sections are elements; no stray text (such as "null" for an absent section).
  assert.deepEqual(await page.evaluate(() => [...document.querySelector('main').childNodes]
      .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent)), []);
  await page.screenshot({path: join(shots, 'sweep.png'), fullPage: true});
  await page.close();
});

test('trial table filters and sorts', async () => {
  const page = await openPage('#/sweep/noop-a');
  assert.match(await page.textContent('#trial-table .note'), /^18 trials/);
  await page.fill('#trial-table input[name="q"]', '0.6');
  await page.press('#trial-table input[name="q"]', 'Enter');
  await page.waitForFunction(() => /^9 trials/.test(document.querySelector('#trial-table .note').textContent));
  const values = await page.$$eval('table.trials tbody tr td:nth-child(7)', tds => tds.map(t => t.textContent));
  assert.equal(values.length, 9);
  assert.ok(values.every(v => v === '0.600'));
  await page.selectOption('#trial-table select[name="state"]', 'failed');
  await page.waitForFunction(() => /^0 trials/.test(document.querySelector('#trial-table .note').textContent));
  await page.close();
});

test('trial page shows its curves and parameters', async () => {
  const page = await openPage('#/trial/1');
  assert.ok(await page.$$eval('svg[data-kind="curve"] .marks > *', m => m.length) >= 1);
  assert.match(await page.textContent('pre.params'), /"method": "noop"/);
  await page.screenshot({path: join(shots, 'trial.png'), fullPage: true});
  await page.close();
});

test('grounding sweep draws the CPT colour × shots heatmap, per-colour scores and paired differences', async () => {
  const page = await openPage('#/sweep/' + GROUNDING);
  const heat = 'svg[data-kind="heatmap"]';
  // One cell per colour and shot count (0, 1, 4, 16), each with a value: no empty cell.
  const cells = await page.$$eval(`${heat} .marks rect.cell`, rs => rs.map(r => r.getAttribute('fill')));
  assert.equal(cells.length, COLOURS.length * 4);
  assert.ok(cells.every(f => f.startsWith('rgba(')), `empty heatmap cells: ${cells}`);
  const labels = await page.$$eval(`${heat} > text`, ts => ts.map(t => t.textContent));
  for (const c of COLOURS) assert.ok(labels.includes(c), `no heatmap row for ${c}: ${labels}`);
  // Colours are stored as {"name", "rgb"} objects (as the planner writes them): plots name
  // them, and leave out parameters a cell does not set (color or palette is null).
  const legend = await page.$$eval('svg[data-kind="accuracy"] text.legend title', ts => ts.map(t => t.textContent));
  assert.ok(legend.some(l => /color=red\b/.test(l)), JSON.stringify(legend));
  assert.ok(legend.some(l => /palette=\[red,purple,green,yellow,blue\]/.test(l)), JSON.stringify(legend));
  assert.ok(legend.every(l => !l.includes('{') && !l.includes('null')), JSON.stringify(legend));
  // Cell tooltips carry the means; prompt tuning beats zero-shot for red.
  const red = await page.$$eval(`${heat} .marks rect.cell title`, ts => ts.map(t => t.textContent)
      .filter(t => t.startsWith('red @')).map(t => [Number(t.split(' @ ')[1].split(':')[0]), Number(t.split(': ')[1])]));
  assert.equal(red.length, 4);
  assert.ok(red.find(([s]) => s === 16)[1] > red.find(([s]) => s === 0)[1], JSON.stringify(red));
  // Per-colour scores: one mean per colour, in the colour order of the heatmap.
  assert.equal(await page.$$eval('svg[data-kind="per-colour"] .marks circle.mean', c => c.length), COLOURS.length);
  // Paired differences vs finetune: the five colours and the palette at shots 1, 4, 16
  // (zero-shot cells have no fine-tuned partner), each with a CI bar and a p-value.
  const paired = 'svg[data-kind="paired"]';
  assert.equal(await page.$$eval(`${paired} .marks circle.mean`, c => c.length), 6 * 3);
  assert.ok(await page.$$eval(`${paired} .marks line[stroke-width="2"]`, l => l.length) >= 6 * 3);
  const ps = await page.$$eval(`${paired} .marks text`, ts => ts.map(t => t.textContent));
  assert.equal(ps.length, 6 * 3);
  assert.ok(ps.every(p => /^p=/.test(p)), JSON.stringify(ps));
  // The accuracy plot draws every trial as a replicate point: 7 zero-shot trials, and 21
  // trained ones per data seed.
  assert.equal(await page.$$eval('svg[data-kind="accuracy"] .marks circle.replicate', c => c.length), 7 + 21 * 3);
  await page.screenshot({path: join(shots, 'grounding.png'), fullPage: true});
  await page.close();
});

test('the page of a trained trial draws its curves from the HDF5 file', async () => {
  const page = await openPage('#/sweep/' + GROUNDING);
  const id = await page.evaluate(async sweep => {
    const res = await fetch('/api/v1/dashboard/trials?' + new URLSearchParams({sweep, method: 'finetune', limit: '1'}));
    return (await res.json()).rows[0].id;
  }, GROUNDING);
  await page.close();
  const trial = await openPage(`#/trial/${id}`);
  assert.match(await trial.textContent('main'), /Curves \(from hdf5\)/);
  const curves = await trial.$$eval('svg[data-kind="curve"] .marks polyline.curve', p => p.length);
  assert.equal(curves, 2, 'train_loss and val_accuracy');
  assert.match(await trial.textContent('pre.params'), /"method": "finetune"/);
  assert.ok((await trial.$$eval('table tbody tr td:first-child', tds => tds.map(t => t.textContent))).includes('predictions'));
  await trial.screenshot({path: join(shots, 'trial-hdf5.png'), fullPage: true});
  await trial.close();
});

test('a sweep with many settings plots the baseline and the best 12, the table keeps all', async () => {
  const page = await openPage('#/sweep/' + MANY);
  assert.match(await page.textContent('.series-note'), /show 12 of 24 settings/);
  const legend = await page.$$eval('svg[data-kind="accuracy"] text.legend title', ts => ts.map(t => t.textContent));
  assert.equal(legend.length, 12);
  assert.equal(legend.filter(l => l.startsWith('finetune')).length, 3, 'every baseline setting is drawn');
  const paired = await page.$$eval('svg[data-kind="paired"] text.legend title', ts => ts.map(t => t.textContent));
  assert.ok(paired.length >= 1 && paired.every(l => legend.includes(l)), JSON.stringify(paired));
  // A setting keeps its colour from the accuracy plot to the paired plot.
  const colours = kind => page.$$eval(`svg[data-kind="${kind}"]`, ([svg]) => {
    const fills = [...svg.querySelectorAll('rect.legend')].map(r => r.getAttribute('fill'));
    const labels = [...svg.querySelectorAll('text.legend title')].map(t => t.textContent);
    return Object.fromEntries(labels.map((l, i) => [l, fills[i]]));
  });
  const accuracyColours = await colours('accuracy'), pairedColours = await colours('paired');
  for (const [label, fill] of Object.entries(pairedColours)) {
    assert.equal(fill, accuracyColours[label], `colour of ${label}`);
  }
  assert.equal(await page.$$eval('table.cells tbody tr', r => r.length), 3 * 28);
  await page.close();
});

test('hostile sweep name is shown as text, never run', async () => {
  const page = await openPage('#/sweep/' + encodeURIComponent(XSS));
  assert.equal(await page.textContent('h1 .sweep-name'), XSS);
  assert.equal(await page.evaluate(() => document.querySelectorAll('main script').length), 0);
  await page.screenshot({path: join(shots, 'hostile-name.png'), fullPage: true});
  await page.close();
});

test('two sweeps side by side on the same cells', async () => {
  const page = await openPage('#/compare?' + new URLSearchParams({a: 'noop-a', b: XSS}).toString());
  assert.ok(await page.$$eval('svg[data-kind="compare"] .marks circle.mean', c => c.length) >= 6);
  assert.ok(await page.$$eval('table.compare tbody tr', r => r.length) >= 4);
  await page.screenshot({path: join(shots, 'compare.png'), fullPage: true});
  await page.close();
});

test('plots download as SVG and PNG, tables as CSV', async () => {
  const page = await openPage('#/sweep/noop-a');
  for (const [label, ext] of [['SVG', '.svg'], ['PNG', '.png']]) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`.plot .tools button:text-is("${label}")`),
    ]);
    assert.ok(download.suggestedFilename().endsWith(ext));
  }
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('h2:has-text("Cells") button')]);
  assert.ok(csv.suggestedFilename().endsWith('.csv'));
  await page.close();
});

test('worker groups: last heard from counts trial heartbeats; what each group is doing', async () => {
  const page = await openPage('#/');
  const rows = await page.$$eval('table.groups tbody tr', trs => trs.map(tr => ({
    host: tr.cells[1].textContent, heard: tr.cells[4].textContent,
    groupHeartbeat: tr.cells[4].querySelector('.heard').title, doing: tr.cells[5].textContent,
    links: [...tr.cells[5].querySelectorAll('a')].map(a => a.getAttribute('href'))})));
  const busy = rows.find(r => r.host === 'gpu-node-7');
  assert.ok(busy, JSON.stringify(rows));
  // Heard from seconds ago (its trial's heartbeat), though its own heartbeat is 184 s old.
  const heard = Number(busy.heard.match(/^(\d+) s ago$/)[1]);
  assert.ok(heard < 60, busy.heard);
  const own = Number(busy.groupHeartbeat.match(/^group heartbeat (\d+) s ago$/)[1]);
  assert.ok(own >= GROUP_AGE_S, busy.groupHeartbeat);
  // Doing: the running trial with its setting, progress and note; the one leased ahead counted.
  assert.match(busy.doing, new RegExp(`#${live.running} ${LIVE}: coop shots=4 seeds 1/2 ctx_len=16 epochs=10 lr=0\\.004` +
                                      ' — 40%, epoch 4/10, loss 0\\.512'));
  assert.match(busy.doing, /1 more leased ahead/);
  assert.ok(!busy.doing.includes(`#${live.leased} `), busy.doing);
  assert.deepEqual(busy.links, [`#/trial/${live.running}`]);
  await page.screenshot({path: join(shots, 'groups.png'), fullPage: true});
  await page.close();
  const trial = await openPage(`#/trial/${live.running}`);
  assert.match(await trial.textContent('p.trial-state'), /^state running, 40% \(epoch 4\/10, loss 0\.512\)/);
  await trial.close();
});

test('the trial table shows parameters as name=value like the report, the trial page the JSON too', async () => {
  const page = await openPage('#/sweep/noop-a');
  const params = await page.$$eval('table.trials tbody td.params', tds => tds.map(t => t.textContent));
  assert.equal(params.length, 18);
  // The method's resolved parameters (noop's defaults included), as the report prints them.
  assert.ok(params.every(p => /^array_size=0 epochs=1 fail="none" rate=0\.0 sleep_ms=20 value=0\.[46]$/.test(p)),
            JSON.stringify(params));
  // The text filter finds what the table shows.
  await page.fill('#trial-table input[name="q"]', 'value=0.4');
  await page.press('#trial-table input[name="q"]', 'Enter');
  await page.waitForFunction(() => /^9 trials/.test(document.querySelector('#trial-table .note').textContent));
  await page.close();
  const grounding = await openPage('#/sweep/' + GROUNDING);
  const named = await grounding.$$eval('table.trials tbody td.params', tds => tds.map(t => t.textContent));
  assert.ok(named.includes('alpha=0.498 color=red epochs=0'), JSON.stringify(named.slice(0, 8)));
  assert.ok(named.every(p => !p.includes('{') && !p.includes('rgb')), JSON.stringify(named.slice(0, 8)));
  await grounding.close();
  const trial = await openPage('#/trial/1');
  const text = await trial.textContent('p.params-text');
  assert.match(text, /\bsleep_ms=20 value=0\.[46]$/);
  const value = text.split('value=')[1];
  const item = JSON.parse(await trial.textContent('pre.params'));
  assert.equal(item.params.sleep_ms, 20);
  assert.equal(String(item.params.value), value);
  await trial.close();
});

test('stopped trials are shown apart, with their rung, and never counted in cells', async () => {
  const page = await openPage('#/sweep/' + ASHA);
  const summary = await apiGet(page, 'summary', {sweep: ASHA, metric: 'accuracy'});
  const c = summary.counts;
  assert.ok(c.stopped >= 2 && c.done >= 2 && c.stopped + c.done === 18, JSON.stringify(c));
  assert.match(await page.textContent('.controls .counts'), new RegExp(`, ${c.stopped} stopped early$`));
  assert.match(await page.textContent('#search .search-summary'),
               new RegExp(`^9 configurations, ${summary.search.stopped_early} stopped early \\(${c.stopped} trials\\)`));
  const stopped = await page.$$eval('table.stopped-trials tbody tr', trs => trs.map(tr => [...tr.cells].map(td => td.textContent)));
  assert.equal(stopped.length, c.stopped);
  assert.ok(stopped.every(r => /^rung \d$/.test(r[5]) && /\brate=0\.3 sleep_ms=90 value=0\.\d+$/.test(r[4])), JSON.stringify(stopped));
  // Cells hold done trials only: their n add up to the done count, one point per done trial.
  assert.equal(summary.cells.reduce((n, cell) => n + cell.n, 0), c.done);
  assert.equal(await page.$$eval('svg[data-kind="accuracy"] .marks circle.replicate', p => p.length), c.done);
  const stoppedValues = new Set(stopped.map(r => r[4].match(/value=(\S+)/)[1]));
  const cellValues = summary.cells.map(cell => String(cell.params.value));
  assert.ok(cellValues.every(v => !stoppedValues.has(v)), `${[...stoppedValues]} vs ${cellValues}`);
  // The trial table's state filter lists them, each "stopped at rung r".
  await page.selectOption('#trial-table select[name="state"]', 'stopped');
  await page.waitForFunction(n => document.querySelector('#trial-table .note').textContent.startsWith(`${n} trials`), c.stopped);
  const states = await page.$$eval('table.trials tbody td.state', tds => tds.map(t => t.textContent));
  assert.equal(states.length, c.stopped);
  assert.ok(states.every(s => /^stopped at rung \d$/.test(s)), JSON.stringify(states));
  await page.screenshot({path: join(shots, 'search.png'), fullPage: true});
  const id = await page.$eval('table.trials tbody tr td:first-child a', a => a.textContent);
  const rung = Number(states[0].match(/rung (\d)/)[1]);
  await page.close();

  // Its page: where it stopped, and its learning curve with the rungs marked.
  const trial = await openPage(`#/trial/${id}`);
  assert.match(await trial.textContent('p.trial-state'),
               new RegExp(`^state stopped at rung ${rung} \\(epoch ${[1, 3, 9][rung]}\\) after \\d+ epochs`));
  const curve = 'svg[data-kind="curve"] .marks';
  assert.ok(await trial.$$eval(`${curve} polyline.curve, ${curve} circle.mean`, m => m.length) >= 1);
  assert.ok(await trial.$$eval(`${curve} line.rung`, l => l.length) >= 1);
  assert.equal(await trial.$$eval(`${curve} line.rung.stop`, l => l.length), 1);
  assert.ok((await trial.$$eval(`${curve} text.rung-label`, t => t.map(x => x.textContent))).includes(`rung ${rung}: stopped`));
  await trial.screenshot({path: join(shots, 'stopped-trial.png'), fullPage: true});
  await trial.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
