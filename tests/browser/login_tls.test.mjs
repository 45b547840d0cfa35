// Lab mode's dashboard in a real browser over TLS (issue 18, "Done when": the dashboard in a
// browser over HTTPS). `chromatune coordinator --tls-cert --tls-key --token-file` on
// loopback with a self-signed certificate that this test makes with `openssl req`, and one
// worker group that reaches it over HTTPS with `--ca` and a worker token, so the page shows
// real results. In Debian's chromium (playwright-core): the login form over https, the
// session cookie Secure, HttpOnly and SameSite=Strict, a finished sweep's results, the
// cancel button on a running sweep of one's own, logout.
//
// How chromium trusts the certificate: `--ignore-certificate-errors-spki-list` with the
// SHA-256 of the certificate's public key. That trusts this one key and nothing else (every
// other certificate is still verified, and the first test shows that a browser without the
// switch refuses this one), needs no NSS database tools (certutil is not installed
// here) and no write to the system's trust store. Playwright's ignoreHTTPSErrors would
// accept any certificate at all, so a broken chain would go unnoticed.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {createHash, X509Certificate} from 'node:crypto';
import {mkdtempSync, readFileSync, writeFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {launchChromium} from './dashboard_util.mjs';
import {startCoordinator, stopProcess, api as apiAt, noopSweep, login} from './coordinator_util.mjs';

const BIN = process.env.CHROMATUNE_BIN;
assert.ok(BIN, 'CHROMATUNE_BIN must name the chromatune binary');
const work = mkdtempSync(join(tmpdir(), 'ct-login-tls-'));
const TOKENS = {alice: 'alice-token-0123456789ab', bob: 'bob-token-0123456789abcd',
                workers: 'worker-token-0123456789ab'};
const CERT = join(work, 'coordinator.crt'), KEY = join(work, 'coordinator.key');
let coordinator, worker, browser, base, ca;

function api(method, path, token, body) { return apiAt(base, method, path, token, body, ca); }

// A self-signed certificate for the loopback names, as docs/cluster.md makes one.
function makeCertificate() {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                           '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
                           '-keyout', KEY, '-out', CERT], {stdio: ['ignore', 'ignore', 'pipe']});
  return readFileSync(CERT, 'utf8');
}

// Base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what chromium pins.
function spkiHash(pem) {
  const spki = new X509Certificate(pem).publicKey.export({type: 'spki', format: 'der'});
  return createHash('sha256').update(spki).digest('base64');
}

async function waitFor(what, check, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise(r => setTimeout(r, 200));
  }
}

const counts = async name => (await api('GET', '/api/v1/sweeps/' + name, TOKENS.alice)).body.counts;

before(async () => {
  ca = makeCertificate();
  writeFileSync(join(work, 'tokens'), `alice ${TOKENS.alice} user\nbob ${TOKENS.bob} user\n` +
                                      `workers ${TOKENS.workers} worker\n`);
  writeFileSync(join(work, 'worker.token'), TOKENS.workers + '\n');
  ({child: coordinator, url: base} = await startCoordinator(
      BIN, join(work, 'runs.db'), join(work, 'tokens'), ['--tls-cert', CERT, '--tls-key', KEY]));
  assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
  // One finished sweep (results to see), then one whose trial runs for minutes (to cancel).
  let r = await api('POST', '/api/v1/sweeps', TOKENS.alice, {yaml: noopSweep('alice-done'), origin: 'a.yaml'});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  worker = spawn(BIN, ['worker', '--coordinator', base, '--ca', CERT, '--token-file',
                       join(work, 'worker.token'), '--long-poll', '1'], {stdio: ['ignore', 'ignore', 'inherit']});
  await waitFor('alice-done to finish', async () => (await counts('alice-done')).done === 2);
  r = await api('POST', '/api/v1/sweeps', TOKENS.alice, {yaml: noopSweep('alice-open', 600000), origin: 'b.yaml'});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor('a trial of alice-open to run', async () => (await counts('alice-open')).running >= 1);
  browser = await launchChromium([`--ignore-certificate-errors-spki-list=${spkiHash(ca)}`]);
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(worker);
  await stopProcess(coordinator);
  rmSync(work, {recursive: true, force: true});
});

test('the certificate is checked: a browser that does not trust it refuses the page', async () => {
  const untrusting = await launchChromium();
  try {
    const page = await untrusting.newPage();
    await assert.rejects(page.goto(base + '/'), /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await untrusting.close();
  }
  // Plain HTTP on the TLS port gets a readable refusal, never the page.
  const plain = await apiAt(base.replace('https://', 'http://'), 'GET', '/api/v1/session', TOKENS.alice);
  assert.equal(plain.status, 400);
  assert.match(plain.body.error, /HTTPS only/);
});

test('over https: log in, a Secure HttpOnly SameSite=Strict session, results, cancel, log out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });

  const response = await page.goto(base + '/');
  const security = await response.securityDetails();
  assert.ok(security && /^TLS 1\.[23]$/.test(security.protocol), JSON.stringify(security));
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  await login(page, base, TOKENS.alice);

  const cookies = await context.cookies(base);
  assert.equal(cookies.length, 1, JSON.stringify(cookies));
  const [cookie] = cookies;
  assert.equal(cookie.name, 'ct_session');
  assert.equal(cookie.secure, true, 'Secure over TLS');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.ok(cookie.expires > Date.now() / 1000, 'the session cookie expires');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read it');

  // Sweeps, with the worker group that reached the coordinator over TLS.
  const names = await page.$$eval('table.sweeps tbody tr td:first-child', tds => tds.map(t => t.textContent));
  assert.deepEqual(names.sort(), ['alice-done', 'alice-open']);
  assert.equal(await page.$$eval('table.groups tbody tr', r => r.length), 1, 'one worker group');

  // A finished sweep's results: its cell (n = 2 trials) and the accuracy plot.
  await page.click('a[href="#/sweep/alice-done"]');
  await page.waitForFunction(() => document.body.dataset.ready === '#/sweep/alice-done');
  const cells = await page.$$eval('table.cells tbody tr', rows => rows.map(r => [...r.cells].map(c => c.textContent)));
  assert.equal(cells.length, 1, JSON.stringify(cells));
  assert.deepEqual(cells[0].slice(0, 4), ['noop', '', '1', '2']);
  assert.equal(cells[0][4], '0.500');
  assert.equal(await page.$$eval('svg[data-kind="accuracy"] .marks circle.mean', c => c.length), 1);

  // Cancel the running sweep with the button (it asks once more).
  await page.click('a[href="#/"]');
  await page.waitForFunction(() => document.body.dataset.ready === '#/');
  assert.deepEqual(await page.$$eval('button.cancel', b => b.map(x => x.dataset.sweep)), ['alice-open']);
  await page.click('button.cancel[data-sweep="alice-open"]');
  await page.click('button.cancel[data-sweep="alice-open"]');
  await page.waitForFunction(() => !document.querySelector('button.cancel[data-sweep="alice-open"]'));
  const open = await api('GET', '/api/v1/sweeps/alice-open', TOKENS.alice);
  assert.equal(open.body.cancelled, true);
  assert.equal(open.body.counts.running + open.body.counts.leased + open.body.counts.pending, 0,
               JSON.stringify(open.body.counts));

  // Logout ends the session: the cookie is cleared and the API refuses the old one.
  await page.click('#logout');
  await page.waitForFunction(() => document.body.dataset.ready === 'login');
  assert.deepEqual(await context.cookies(base), []);
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/dashboard/sweeps')).status), 401);
  assert.deepEqual(errors.filter(e => !/401/.test(e)), []);
  await context.close();
});
