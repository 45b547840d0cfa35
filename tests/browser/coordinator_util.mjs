// Shared by the token-mode browser tests (login.test.mjs, login_tls.test.mjs): start
// `chromatune coordinator` with a token file, call its API as a user, log a page in through
// the login form. Over HTTPS the API calls trust exactly the test's certificate (`ca`).
import {spawn} from 'node:child_process';
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';

// Starts `BIN coordinator --db DB --listen 127.0.0.1:0 --token-file TOKENS ...extraArgs`.
// Resolves to {child, url} ("http://..." or, with --tls-cert, "https://...") once it prints
// its address; rejects if it exits first or says nothing within 20 s.
export function startCoordinator(bin, db, tokenFile, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['coordinator', '--db', db, '--listen', '127.0.0.1:0',
                              '--token-file', tokenFile, ...extraArgs],
                        {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    const timer = setTimeout(() => reject(new Error('coordinator did not start: ' + out)), 20000);
    child.stdout.on('data', d => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({child, url: m[1].startsWith('https://') ? m[1] : 'http://' + m[1]});
      }
    });
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`coordinator exited with ${code}: ${out}`)); });
  });
}

// Sends SIGTERM and resolves once `child` exited; SIGKILL after `graceMs`. A worker is
// stopped before its coordinator: it gives its trials back on the way out.
export function stopProcess(child, graceMs = 10000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// One API request with a bearer token. Resolves to {status, body} (body parsed as JSON).
// `ca`: PEM text of the certificate to trust for https:// (nothing else is trusted).
export function api(base, method, path, token, body, ca) {
  const url = new URL(path, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = body ? JSON.stringify(body) : '';
  return new Promise((resolve, reject) => {
    const req = send(url, {method, ca, headers: {'Authorization': 'Bearer ' + token,
                                                 'Content-Type': 'application/json',
                                                 'Content-Length': Buffer.byteLength(payload)}},
                     res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', d => { text += d; });
      res.on('end', () => {
        try { resolve({status: res.statusCode, body: JSON.parse(text)}); }
        catch (e) { reject(new Error(`${method} ${path}: not JSON (${res.statusCode}): ${text}`)); }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// A small noop sweep: one shot count, data seed 1, train seeds 1 and 2.
export function noopSweep(name, sleepMs = 0) {
  return `name: ${name}\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n` +
         `replicates: {data_seeds: [1], train_seeds: [1, 2]}\n` +
         `methods:\n  - {name: noop, value: 0.5${sleepMs ? `, sleep_ms: ${sleepMs}` : ''}}\n`;
}

// Opens the dashboard at `base`, expects the login form, logs in with `token` and waits
// until the sweeps page has rendered.
export async function login(page, base, token) {
  await page.goto(base + '/#/');
  await page.waitForFunction(() => document.body.dataset.ready === 'login');
  await page.fill('#token', token);
  await page.click('#login button[type="submit"]');
  await page.waitForFunction(() => document.body.dataset.ready === '#/');
}
