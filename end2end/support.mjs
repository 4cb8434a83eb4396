// Shared harness for the browser tests: starts the REAL server binary on a
// free loopback port with a throw-away data dir, and a headless Debian
// Chromium through playwright-core (which never downloads a browser).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..');
export const OUT_DIR = process.env.E2E_OUT ?? join(ROOT, 'target', 'e2e');
const SERVER_BIN = process.env.E2E_SERVER_BIN ?? join(ROOT, 'target', 'debug', 'server');
const SITE_DIR = process.env.E2E_SITE_DIR ?? join(ROOT, 'target', 'site');
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Starts the server; resolves once /api/v1/health answers. */
export async function startServer(extraEnv = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'printstash-e2e-'));
  const logs = [];
  const child = spawn(SERVER_BIN, [], {
    env: {
      ...process.env,
      VAULT_BIND: `127.0.0.1:${port}`,
      VAULT_DATA_DIR: dataDir,
      VAULT_SITE_DIR: SITE_DIR,
      VAULT_LOG: 'info',
      VAULT_DATABASE_URL: '',
      VAULT_ADMIN_USERNAME: ADMIN.username,
      VAULT_ADMIN_PASSWORD: ADMIN.password,
      VAULT_ARGON2_MEMORY_KIB: '8192',
      VAULT_ARGON2_ITERATIONS: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => logs.push(d.toString()));
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${logs.join('')}`);
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`server did not answer within 30 s:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    logs,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/**
 * Starts the Moonraker simulator binary (built next to the server) on a free
 * loopback port; resolves with its address once it listens.
 */
export async function startMoonrakerSim(args = []) {
  const bin = join(dirname(SERVER_BIN), 'moonraker-sim');
  const child = spawn(bin, ['--bind', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`moonraker-sim did not start:\n${logs.join('')}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const match = out.match(/listening on (http:\/\/[^\s]+)/);
      if (match) { clearTimeout(timer); ok(match[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`moonraker-sim exited with ${code}:\n${logs.join('')}`)); });
  });
  return {
    url,
    port: Number(new URL(url).port),
    async control(action, query = '') {
      const res = await fetch(`${url}/_sim/${action}${query}`, { method: 'POST' });
      return res.json();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

/** Launches headless Chromium with the flags this machine needs. */
export async function startBrowser(viewport = { width: 1280, height: 800 }) {
  const profile = mkdtempSync(join(tmpdir(), 'printstash-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const problems = [];
  context.on('page', (page) => watch(page, problems));
  for (const page of context.pages()) watch(page, problems);
  return {
    context,
    problems,
    async page() {
      return context.pages()[0] ?? context.newPage();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function watch(page, problems) {
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`); });
}

/** The admin the tests' servers boot with (see startServer's defaults). */
export const ADMIN = { username: 'admin', password: 'e2e-admin-password' };

/** Signs in through the real sign-in page and waits for the library. */
export async function signIn(page, base, { username, password } = ADMIN) {
  await page.goto(base + '/login');
  await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForURL(base + '/', { timeout: 20_000 });
  await page.locator('#signed-in-as').waitFor({ timeout: 20_000 });
  // The library is server-rendered: wait until it reacts before using it.
  await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
}

/** Saves a full-page screenshot under target/e2e/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Test files: an ASCII STL tetrahedron whose size depends on n (so each is a new mesh). */
export function tetrahedron(n) {
  const [a, b, c] = [5 + n, 7 + n / 2, 9 + n / 3];
  const faces = [
    [[0, 0, -1], [[0, 0, 0], [0, b, 0], [a, 0, 0]]],
    [[0, -1, 0], [[0, 0, 0], [a, 0, 0], [0, 0, c]]],
    [[-1, 0, 0], [[0, 0, 0], [0, 0, c], [0, b, 0]]],
    [[1, 1, 1], [[a, 0, 0], [0, b, 0], [0, 0, c]]],
  ];
  let text = `solid t${n}\n`;
  for (const [normal, vertices] of faces) {
    text += `facet normal ${normal.join(' ')}\nouter loop\n`;
    for (const v of vertices) text += `vertex ${v.join(' ')}\n`;
    text += 'endloop\nendfacet\n';
  }
  return Buffer.from(text + `endsolid t${n}\n`);
}

/** A small PrusaSlicer-style G-code whose fill density depends on n. */
export function gcode(n) {
  let text = `; generated by PrusaSlicer 2.7.1\n; estimated printing time (normal mode) = 1h ${n}m 0s\nG28\n`;
  for (let i = 0; i < 30; i++) text += `G1 X${10 + i + n} Y${20 + i} F3000\n`;
  // PrusaSlicer writes its full config in a block at the end.
  return Buffer.from(text + `; prusaslicer_config = begin\n; filament_type = PETG\n; nozzle_diameter = 0.4\n; layer_height = 0.2\n; fill_density = ${10 + n * 5}%\n; prusaslicer_config = end\n`);
}
