// The <mesh-viewer> element (public/viewer/mesh-viewer.js) in a real headless Chromium,
// without the app server: a page, the module and synthetic PSM1 meshes are served through
// Playwright's request routing on http://viewer.test/. Pixels are checked on decoded
// element screenshots (WebGL runs on SwiftShader here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { startBrowser, screenshot } from './support.mjs';

const MODULE = join(resolve(import.meta.dirname, '..'), 'public', 'viewer', 'mesh-viewer.js');
const ORIGIN = 'http://viewer.test';
const BG = [0x20, 0x30, 0x40]; // the test page's --viewer-bg
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// ---- synthetic meshes ----

/** Encodes a mesh as PSM1; `source` is the pre-decimation triangle count. */
function psm1({ vertices, triangles, source = triangles.length }) {
  const min = [0, 1, 2].map((a) => Math.min(...vertices.map((v) => v[a])));
  const max = [0, 1, 2].map((a) => Math.max(...vertices.map((v) => v[a])));
  const V = vertices.length, T = triangles.length;
  const idxAt = Math.ceil((40 + 6 * V) / 4) * 4;
  const buf = Buffer.alloc(idxAt + 12 * T); // zero-filled, so the padding is zero
  buf.write('PSM1', 0, 'ascii');
  buf.writeUInt32LE(V, 4);
  buf.writeUInt32LE(T, 8);
  buf.writeUInt32LE(source, 12);
  [...min, ...max].forEach((f, i) => buf.writeFloatLE(f, 16 + 4 * i));
  vertices.forEach((v, i) => v.forEach((c, a) => {
    const q = max[a] > min[a] ? Math.round(((c - min[a]) / (max[a] - min[a])) * 65535) : 0;
    buf.writeUInt16LE(q, 40 + 6 * i + 2 * a);
  }));
  triangles.flat().forEach((k, i) => buf.writeUInt32LE(k, idxAt + 4 * i));
  return buf;
}

/** Axis-aligned box from (x0,y0,z0) to (x1,y1,z1), outward winding, 8 vertices, 12 triangles. */
function box([x0, y0, z0], [x1, y1, z1], base = 0) {
  const vertices = [];
  for (const z of [z0, z1]) for (const y of [y0, y1]) for (const x of [x0, x1]) vertices.push([x, y, z]);
  const quads = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]];
  const triangles = quads.flatMap(([a, b, c, d]) => [[a, b, c], [a, c, d]].map((t) => t.map((k) => k + base)));
  return { vertices, triangles };
}

/** An L-shaped bracket (two boxes): asymmetric, so every rotation shows. 16 vertices, 24 triangles. */
function bracket() {
  const foot = box([0, 0, 0], [60, 30, 8]), wall = box([0, 0, 8], [8, 30, 45], 8);
  return { vertices: [...foot.vertices, ...wall.vertices], triangles: [...foot.triangles, ...wall.triangles] };
}

/** A torus standing on z = 0 (R 20 mm, r 7 mm), n×m segments: n·m vertices, 2·n·m triangles. */
function torus(n = 20, m = 10) {
  const vertices = [], triangles = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    const u = (2 * Math.PI * i) / n, w = (2 * Math.PI * j) / m, r = 20 + 7 * Math.cos(w);
    vertices.push([r * Math.cos(u), r * Math.sin(u), 7 + 7 * Math.sin(w)]);
    const a = i * m + j, b = ((i + 1) % n) * m + j, c = ((i + 1) % n) * m + ((j + 1) % m), d = i * m + ((j + 1) % m);
    triangles.push([a, b, c], [a, c, d]);
  }
  return { vertices, triangles };
}

const MESHES = {
  '/mesh/bracket.psm': psm1(bracket()),
  '/mesh/torus.psm': psm1(torus()),
  '/mesh/decimated.psm': psm1({ ...bracket(), source: 1_234_567 }),
  '/mesh/truncated.psm': psm1(bracket()).subarray(0, 100),
  '/mesh/garbage.psm': Buffer.from('<!doctype html><p>this is not a mesh at all, sorry</p>'),
  '/mesh/bad-index.psm': psm1({ vertices: bracket().vertices, triangles: [...bracket().triangles.slice(0, 5), [0, 1, 16]] }),
};

// ---- the page ----

function pageHtml(body, css = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 16px; background: #fff; font-family: sans-serif; }
mesh-viewer { max-width: 640px; --viewer-bg: rgb(${BG}); --viewer-model: #e8a040; } ${css}</style>
<script>window.viewerEvents = []; document.addEventListener('mesh-viewer-state', (e) => viewerEvents.push({ id: e.target.id, ...e.detail }));</script>
</head><body>${body}<script type="module" src="/viewer/mesh-viewer.js"></script></body></html>`;
}

/** Opens `html` on a fresh browser; the <mesh-viewer> markup is in the page before the module loads (the upgrade path). */
async function open(viewport, html) {
  const browser = await startBrowser(viewport);
  await browser.context.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: html });
    if (path === '/viewer/mesh-viewer.js') return route.fulfill({ contentType: 'text/javascript', body: readFileSync(MODULE) });
    if (MESHES[path]) return route.fulfill({ contentType: 'application/octet-stream', body: MESHES[path] });
    return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
  });
  const page = await browser.page();
  await page.goto(`${ORIGIN}/`);
  return { browser, page };
}

const state = (page, sel) => page.waitForFunction(
  ([s]) => ['ready', 'error', 'unsupported'].includes(document.querySelector(s)?.dataset.state) && document.querySelector(s).dataset.state,
  [sel], { timeout: 10_000 },
).then((h) => h.jsonValue());
const frames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const message = (page, sel) => page.locator(`${sel} .message`).innerText(); // Playwright's CSS pierces the open shadow root

// ---- pixels: a small PNG decoder (8-bit RGB/RGBA, no interlace: what Chromium writes) ----

function decodePng(buf) {
  let w, h, type, idat = [];
  for (let o = 8; o < buf.length;) {
    const len = buf.readUInt32BE(o), kind = buf.toString('ascii', o + 4, o + 8), data = buf.subarray(o + 8, o + 8 + len);
    if (kind === 'IHDR') {
      [w, h, type] = [data.readUInt32BE(0), data.readUInt32BE(4), data[9]];
      assert.ok(data[8] === 8 && (type === 2 || type === 6) && data[12] === 0, 'unexpected PNG format');
    } else if (kind === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3, stride = w * bpp, raw = inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      px[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  const rgb = (i) => [px[i * bpp], px[i * bpp + 1], px[i * bpp + 2]];
  return { w, h, n: w * h, rgb };
}

const shot = async (page, sel = 'mesh-viewer') => { await frames(page); return decodePng(await page.locator(sel).screenshot()); };
const far = (p, q, tol) => Math.abs(p[0] - q[0]) > tol || Math.abs(p[1] - q[1]) > tol || Math.abs(p[2] - q[2]) > tol;
/** Share of pixels that differ by more than a few levels between two same-sized images. */
function changed(a, b) {
  assert.equal(a.n, b.n, 'same element size');
  let k = 0;
  for (let i = 0; i < a.n; i++) if (far(a.rgb(i), b.rgb(i), 8)) k++;
  return k / a.n;
}

function problemsBesides(browser, allowed = []) {
  return browser.problems.filter((p) => !allowed.some((re) => re.test(p)));
}

// ---- tests ----

test('a valid mesh renders: ready state, triangle count, a shaded model over the background (desktop)', async () => {
  const { browser, page } = await open(DESKTOP, pageHtml('<mesh-viewer id="v" src="/mesh/bracket.psm" label="Bracket"></mesh-viewer>'));
  try {
    assert.equal(await state(page, '#v'), 'ready');
    const v = page.locator('#v');
    assert.equal(await v.getAttribute('data-triangles'), '24');
    assert.equal(await v.getAttribute('data-source-triangles'), '24');
    assert.equal(await v.getAttribute('role'), 'img');
    assert.equal(await v.getAttribute('aria-label'), '3D preview of Bracket');
    assert.equal(await v.getAttribute('tabindex'), '0');
    assert.equal(await page.locator('#v .caption').isVisible(), false, 'no decimation caption for a full mesh');
    assert.equal(await page.locator('#v canvas').evaluate((c) => getComputedStyle(c).touchAction), 'none');
    const box = await v.boundingBox();
    assert.equal(Math.round(box.width), 640);
    assert.equal(Math.round(box.height), 480, 'default aspect-ratio 4/3');
    assert.deepEqual(await page.evaluate(() => viewerEvents.map((e) => e.state)), ['loading', 'ready']);

    const img = await shot(page);
    assert.deepEqual(img.rgb(0), BG, 'the corner shows --viewer-bg');
    let model = 0, orange = 0;
    const shades = new Set();
    for (let i = 0; i < img.n; i++) {
      const [r, g, b] = img.rgb(i);
      if (!far([r, g, b], BG, 40)) continue;
      model++;
      if (r > g && g > b && r - b > 60) { orange++; shades.add(`${r >> 3},${g >> 3},${b >> 3}`); }
    }
    assert.ok(model / img.n > 0.08, `the model covers a real area (${(100 * model / img.n).toFixed(1)} %)`);
    assert.ok(orange / img.n > 0.08, 'the model has the --viewer-model colour');
    assert.ok(shades.size >= 3, `flat shading shows distinct faces (${shades.size} shades)`);
    // The bed grid: faint lines around the model, lighter than the background, far from the model colour.
    let grid = 0;
    for (let i = 0; i < img.n; i++) { const p = img.rgb(i); if (far(p, BG, 6) && !far(p, BG, 40)) grid++; }
    assert.ok(grid > 500, `the bed grid is drawn (${grid} px)`);

    console.log(`screenshot: ${await screenshot(page, 'mesh-viewer-desktop')}`);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('mouse drag, wheel, shift-drag and keys change the view; double-click, the button and Home reset it (desktop)', async () => {
  const { browser, page } = await open(DESKTOP, pageHtml('<mesh-viewer id="v" src="/mesh/bracket.psm" label="Bracket"></mesh-viewer>'));
  try {
    assert.equal(await state(page, '#v'), 'ready');
    const home = await shot(page);
    const b = await page.locator('#v').boundingBox();
    const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    const drag = async (dx, dy, modifier) => {
      if (modifier) await page.keyboard.down(modifier);
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx + dx, cy + dy, { steps: 5 });
      await page.mouse.up();
      if (modifier) await page.keyboard.up(modifier);
    };
    const expectReset = async (what) => {
      const d = changed(home, await shot(page));
      assert.ok(d < 0.002, `${what} restores the start view (${(100 * d).toFixed(2)} % differ)`);
    };

    await drag(120, 40);
    const rotated = await shot(page);
    assert.ok(changed(home, rotated) > 0.02, 'dragging orbits the model');
    await page.mouse.dblclick(cx, cy);
    await expectReset('double-click');

    await drag(80, 0, 'Shift');
    assert.ok(changed(home, await shot(page)) > 0.02, 'shift-drag pans');
    await page.locator('#v .reset').click();
    await expectReset('the Reset view button');
    assert.equal(await page.locator('#v .reset').getAttribute('aria-label'), 'Reset view');

    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, -400);
    assert.ok(changed(home, await shot(page)) > 0.02, 'the wheel zooms');
    assert.equal(await page.evaluate(() => scrollY), 0, 'the wheel does not scroll the page');

    await page.locator('#v').focus();
    await page.keyboard.press('Home');
    await expectReset('Home');
    await page.keyboard.press('ArrowLeft');
    assert.ok(changed(home, await shot(page)) > 0.02, 'ArrowLeft orbits');
    await page.keyboard.press('0');
    await page.keyboard.press('+');
    assert.ok(changed(home, await shot(page)) > 0.02, '+ zooms');
    await page.keyboard.press('0');
    await expectReset('0');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('touch: one finger orbits without scrolling the page, pinch zooms, double tap resets (phone)', async () => {
  const { browser, page } = await open(PHONE, pageHtml('<mesh-viewer id="v" src="/mesh/bracket.psm" label="Bracket"></mesh-viewer><div style="height:1500px"></div>'));
  try {
    assert.equal(await state(page, '#v'), 'ready');
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
    const b = await page.locator('#v').boundingBox();
    const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    assert.ok(Math.abs(b.width - (PHONE.width - 32)) < 1, 'fills the phone width');
    const home = await shot(page);
    await screenshot(page, 'mesh-viewer-phone');

    await touch('touchStart', [[cx, cy]]);
    for (let i = 1; i <= 6; i++) await touch('touchMove', [[cx + 10 * i, cy - 15 * i]]);
    await touch('touchEnd', []);
    assert.ok(changed(home, await shot(page)) > 0.02, 'one-finger drag orbits');
    assert.equal(await page.evaluate(() => scrollY), 0, 'the page did not scroll');

    for (let i = 0; i < 2; i++) { await touch('touchStart', [[cx, cy]]); await touch('touchEnd', []); }
    const d = changed(home, await shot(page));
    assert.ok(d < 0.002, `double tap resets (${(100 * d).toFixed(2)} % differ)`);

    await touch('touchStart', [[cx - 20, cy], [cx + 20, cy]]);
    for (let i = 1; i <= 6; i++) await touch('touchMove', [[cx - 20 - 10 * i, cy], [cx + 20 + 10 * i, cy]]);
    await touch('touchEnd', []);
    const zoomed = await shot(page);
    assert.ok(changed(home, zoomed) > 0.02, 'pinch zooms');
    let model = [home, zoomed].map((img) => { let k = 0; for (let i = 0; i < img.n; i++) if (far(img.rgb(i), BG, 40)) k++; return k; });
    assert.ok(model[1] > model[0] * 1.3, `spreading two fingers zooms in (${model[0]} → ${model[1]} px)`);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('errors: HTTP 404, a truncated file, garbage, an index out of range, no WebGL', async () => {
  const html = pageHtml(['missing', 'truncated', 'garbage', 'bad-index']
    .map((n) => `<mesh-viewer id="${n}" src="/mesh/${n}.psm" label="${n}"></mesh-viewer>`).join(''), 'mesh-viewer { width: 300px; }');
  const { browser, page } = await open(DESKTOP, html);
  try {
    const expect = { missing: /^Could not load the 3D preview: HTTP 404$/, truncated: /truncated \(100 of \d+ bytes\)/, garbage: /not a PSM1 preview mesh/, 'bad-index': /triangle 6 uses vertex 16, but the mesh has only 16 vertices/ };
    for (const [id, re] of Object.entries(expect)) {
      assert.equal(await state(page, `#${id}`), 'error', id);
      assert.match(await message(page, `#${id}`), re);
      assert.equal(await page.locator(`#${id}`).getAttribute('data-triangles'), null);
      assert.match(await page.locator(`#${id}`).getAttribute('aria-label'), new RegExp(`^3D preview of ${id}: Could not load`));
    }
    const events = await page.evaluate(() => viewerEvents.filter((e) => e.state === 'error'));
    assert.equal(events.length, 4);
    assert.match(events.find((e) => e.id === 'missing').message, /404/);

    // No WebGL at all: the readable 'unsupported' state, and no request for the mesh.
    await page.addInitScript(() => {
      const real = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (kind, ...rest) { return kind === '2d' ? real.call(this, kind, ...rest) : null; };
    });
    await page.goto(`${ORIGIN}/`);
    assert.equal(await state(page, '#missing'), 'unsupported');
    assert.equal(await message(page, '#missing'), '3D preview needs WebGL, which this browser has turned off.');

    const left = problemsBesides(browser, [/HTTP 404 http:\/\/viewer\.test\/mesh\/missing\.psm/, /console: Failed to load resource: .* 404/]);
    assert.deepEqual(left, []);
    assert.equal(browser.problems.filter((p) => p.startsWith('HTTP 404')).length, 1, 'one 404 (the second page never fetched)');
  } finally {
    await browser.close();
  }
});

test('a new src loads the new mesh; removing and re-adding the element frees and rebuilds its WebGL context (desktop)', async () => {
  const { browser, page } = await open(DESKTOP, pageHtml('<mesh-viewer id="v" src="/mesh/bracket.psm" label="Bracket"></mesh-viewer>'));
  try {
    assert.equal(await state(page, '#v'), 'ready');
    const before = await shot(page);
    await page.locator('#v').evaluate((el) => el.setAttribute('src', '/mesh/torus.psm'));
    await page.waitForFunction(() => document.querySelector('#v').dataset.triangles === '400', null, { timeout: 10_000 });
    assert.equal(await page.locator('#v').getAttribute('data-state'), 'ready');
    assert.ok(changed(before, await shot(page)) > 0.05, 'the torus replaced the bracket');

    const lost = await page.evaluate(async () => {
      const el = document.querySelector('#v'), canvas = el.shadowRoot.querySelector('canvas');
      const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
      el.remove();
      await new Promise((r) => setTimeout(r, 100));
      return gl.isContextLost();
    });
    assert.equal(lost, true, 'removal releases the WebGL context');
    await page.evaluate(() => document.body.prepend(Object.assign(document.createElement('mesh-viewer'), { id: 'w' })));
    await page.locator('#w').evaluate((el) => el.setAttribute('src', '/mesh/bracket.psm'));
    assert.equal(await state(page, '#w'), 'ready', 'an element made by script works too');
    await page.evaluate(async () => {
      const el = document.querySelector('#w');
      el.remove();
      document.body.append(el); // moved: disconnected then connected again
    });
    await page.waitForFunction(() => document.querySelector('#w').dataset.state === 'ready', null, { timeout: 10_000 });
    assert.equal(await page.locator('#w').getAttribute('data-triangles'), '24');
    await frames(page);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

test('a decimated preview says so in a caption (desktop)', async () => {
  const { browser, page } = await open(DESKTOP, pageHtml('<mesh-viewer id="v" src="/mesh/decimated.psm" label="Big part"></mesh-viewer>'));
  try {
    assert.equal(await state(page, '#v'), 'ready');
    assert.equal(await page.locator('#v').getAttribute('data-triangles'), '24');
    assert.equal(await page.locator('#v').getAttribute('data-source-triangles'), '1234567');
    assert.equal(await page.locator('#v .caption').innerText(), '24 triangles (decimated from 1,234,567)');
    assert.ok(await page.locator('#v .caption').isVisible());
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
