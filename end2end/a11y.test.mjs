// Accessibility and speed of the main screens in a real browser: every
// control has an accessible name, ids are unique, images have alt text, and
// the page can be worked with the keyboard alone (the first Tab lands on a
// visible control with a focus ring). Also measures what a first visit
// downloads and when the page paints and hydrates (figures in the log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, signIn, tetrahedron, gcode } from './support.mjs';

/** Runs in the page: the problems an audit finds. */
function audit() {
  const problems = [];
  const nameOf = (el) => {
    const labelled = el.getAttribute('aria-labelledby');
    if (labelled) return labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label) return label.textContent;
    }
    const wrapping = el.closest('label');
    if (wrapping) return wrapping.textContent;
    const text = (el.textContent ?? '').trim();
    if (text) return text;
    const img = el.querySelector('img[alt]');
    if (img) return img.getAttribute('alt');
    return el.getAttribute('title') ?? '';
  };
  const visible = (el) => el.getClientRects().length > 0 || el.classList.contains('visually-hidden');
  for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=button]')) {
    if (!visible(el)) continue;
    if (!nameOf(el).trim()) problems.push(`no accessible name: ${el.outerHTML.slice(0, 120)}`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.outerHTML.slice(0, 120)}`);
  }
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`id "${id}" used ${n} times`);
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
  return problems;
}

test('every main screen passes the audit on desktop and phone', async () => {
  const server = await startServer();
  try {
    // Something to show: a model with two revisions.
    const setup = await startBrowser();
    const page0 = await setup.page();
    await signIn(page0, server.base);
    await page0.setInputFiles('#file-picker', [{ name: 'Bracket.stl', mimeType: 'model/stl', buffer: tetrahedron(1) }]);
    await page0.locator('#uploads .upload[data-state="done"]').waitFor({ timeout: 30_000 });
    await page0.click('#models .model-card a.model-link');
    await page0.locator('#model-name').waitFor();
    for (const n of [1, 2]) {
      await page0.setInputFiles('#revision-picker', [{ name: `r${n}.gcode`, mimeType: 'text/plain', buffer: gcode(n) }]);
      await page0.waitForFunction((k) => document.querySelectorAll('#revisions .revision').length === k, n, { timeout: 30_000 });
    }
    const modelPath = new URL(page0.url()).pathname;
    await setup.close();

    for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
      const browser = await startBrowser(viewport);
      try {
        const page = await browser.page();
        await signIn(page, server.base);
        for (const path of ['/', modelPath, '/collections', '/trash', '/settings']) {
          await page.goto(server.base + path);
          await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
          await page.waitForLoadState('networkidle');
          const problems = await page.evaluate(audit);
          assert.deepEqual(problems, [], `${path} on ${name}`);
          // Keyboard: the first Tab reaches a visible control that shows focus.
          await page.keyboard.press('Tab');
          const focus = await page.evaluate(() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const style = getComputedStyle(el);
            return { tag: el.tagName, visible: el.getClientRects().length > 0, ring: style.outlineStyle !== 'none' || style.boxShadow !== 'none' };
          });
          assert.ok(focus && focus.visible && focus.ring, `${path} on ${name}: first Tab ${JSON.stringify(focus)}`);
        }
        assert.deepEqual(browser.problems, [], 'no console errors or failed requests');
      } finally {
        await browser.close();
      }
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('first visit: download size, first paint and hydration (figures in the log)', async () => {
  const server = await startServer();
  const browser = await startBrowser({ width: 390, height: 844 });
  try {
    const page = await browser.page();
    // Sign in through the API so the measured visit is the first load of the library.
    const res = await fetch(server.base + '/api/v1/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'e2e-admin-password' }),
    });
    const [cookieName, cookieValue] = res.headers.get('set-cookie').split(';')[0].split('=');
    await browser.context.addCookies([{ name: cookieName, value: cookieValue, url: server.base }]);
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const app = document.getElementById('app');
        if (app?.dataset.hydrated === 'true') {
          window.__hydratedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
    });
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    const sizes = new Map();
    cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
    const urls = new Map();
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
    await page.goto(server.base + '/');
    await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
    await page.waitForLoadState('networkidle');
    const timing = await page.evaluate(() => ({
      firstPaint: performance.getEntriesByName('first-paint')[0]?.startTime,
      firstContentfulPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
      hydrated: window.__hydratedAt,
    }));
    let total = 0;
    const parts = [];
    for (const [id, bytes] of sizes) {
      total += bytes;
      parts.push(`${new URL(urls.get(id) ?? 'http://x/?').pathname} ${bytes} B`);
    }
    console.log(`first visit: ${total} bytes over the wire (${parts.join(', ')})`);
    console.log(`first visit timings (ms): ${JSON.stringify(timing)}`);
    assert.ok(timing.firstContentfulPaint > 0 && timing.hydrated > 0, JSON.stringify(timing));
    assert.ok(timing.firstContentfulPaint <= timing.hydrated, 'the server-rendered page paints before hydration');
  } finally {
    await browser.close();
    assert.equal(await server.stop(), 0);
  }
});
