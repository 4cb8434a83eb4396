// The foundation's browser proof: the SSR page hydrates in a real Chromium,
// a click calls a server function and its answer appears, and navigation works
// on a desktop and a phone viewport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, screenshot, signIn } from './support.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `server should exit 0 on SIGTERM (graceful shutdown), logs:\n${server.logs.join('')}`);
});

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`app shell hydrates and calls a server function (${name})`, async () => {
    const browser = await startBrowser(viewport);
    try {
      const page = await browser.page();

      const ssr = (await (await fetch(server.base + '/')).text()).replaceAll('<!>', '');
      assert.match(ssr, /data-hydrated="false"/, 'SSR must render the not-yet-hydrated marker');
      assert.match(ssr, /PrintStash 0\.\d+\.\d+ · SQLite/, 'SSR footer must show version and database kind');

      await signIn(page, server.base);
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      assert.equal(await page.locator('#server-info').getAttribute('data-database'), 'SQLite');

      // The button only works once hydrated; it POSTs to the check_health server function.
      assert.equal(await page.locator('#health-result').count(), 0);
      const call = page.waitForResponse((r) => r.url().includes('/api/check_health') && r.request().method() === 'POST');
      await page.click('#check-health');
      const response = await call;
      assert.equal(response.status(), 200);
      const result = page.locator('#health-result');
      await result.waitFor({ timeout: 10_000 });
      assert.match(await result.textContent(), /Database OK · checked \d\d:\d\d:\d\d UTC/);
      const checkedAt = await result.getAttribute('data-checked-at');
      assert.ok(!Number.isNaN(Date.parse(checkedAt)), `server time ${checkedAt} should be RFC 3339`);
      assert.equal(await page.locator('#health').getAttribute('data-checks'), '1');

      // Client-side navigation after hydration: the nav marks the current page.
      const nav = name === 'phone' ? '.tabbar' : '.topnav';
      await page.click(`${nav} a[href="/printers"]`);
      await page.waitForURL(server.base + '/printers');
      await page.getByRole('heading', { name: 'Printers' }).waitFor();
      assert.equal(await page.locator(`${nav} a[href="/printers"]`).getAttribute('aria-current'), 'page');
      await page.click(`${nav} a[href="/"]`);
      await page.getByRole('heading', { name: 'Library' }).waitFor();

      const shot = await screenshot(page, `foundation-${name}`);
      console.log(`screenshot: ${shot}`);
      assert.deepEqual(browser.problems, [], 'no console errors or failed requests');
    } finally {
      await browser.close();
    }
  });
}

test('unknown pages answer 404 with the app layout', async () => {
  const res = await fetch(server.base + '/no-such-page');
  assert.equal(res.status, 404);
  assert.match(await res.text(), /Page not found/);
});
