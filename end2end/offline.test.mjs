// Stars, the 3D view and offline use at the printer, in a real browser: star
// a model from its card, find it under the Starred filter, turn it in 3D,
// then lose the server and reload — the service worker's copy opens with the
// offline banner, and a page it does not keep leads to the starred list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, screenshot, signIn, tetrahedron } from './support.mjs';

const stl = (name, n) => ({ name, mimeType: 'model/stl', buffer: tetrahedron(n) });

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`star, 3D view and offline reload of a starred model (${name})`, async () => {
    const server = await startServer();
    const browser = await startBrowser(viewport);
    let stopped = false;
    try {
      const page = await browser.page();
      await signIn(page, server.base);
      await page.locator('#library-empty').waitFor();
      await page.setInputFiles('#file-picker', [stl('Bracket.stl', 1), stl('Hinge.stl', 2), stl('Clip.stl', 3)]);
      await page.locator('#uploads .upload[data-state="done"]').nth(2).waitFor({ timeout: 30_000 });
      await page.locator('#models .model-card').nth(2).waitFor({ timeout: 20_000 });

      // The service worker controls the page once it is installed.
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
      // Installable as an app: Chromium finds nothing missing (manifest, icons, worker).
      const cdp = await browser.context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      assert.deepEqual(installabilityErrors, [], 'the PWA install criteria are met');
      await cdp.detach();
      const syncedBefore = await page.evaluate(() => document.documentElement.dataset.offlineSynced ?? '');

      // Star Hinge from its card; the Starred filter then shows it alone.
      const star = page.getByRole('button', { name: /^Star Hinge/ });
      await star.click();
      await page.getByRole('button', { name: 'Unstar Hinge' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Unstar Hinge' }).getAttribute('aria-pressed'), 'true');
      // Starring asked the worker to copy the model for offline use.
      await page.waitForFunction((before) => (document.documentElement.dataset.offlineSynced ?? '') !== before, syncedBefore, { timeout: 20_000 });
      await page.click('#starred-filter');
      await page.waitForURL(/starred=true/);
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 1, null, { timeout: 20_000 });
      assert.equal(await page.locator('#models .model-name').textContent(), 'Hinge');

      // The model page: starred, and its mesh turns in 3D.
      await page.click('#models .model-card a.model-link');
      await page.locator('#model-name').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Unstar Hinge' }).getAttribute('aria-pressed'), 'true');
      await page.click('#show-3d');
      const viewer = page.locator('mesh-viewer#mesh-viewer');
      await page.waitForFunction(() => document.querySelector('mesh-viewer')?.dataset.state === 'ready', null, { timeout: 20_000 });
      assert.equal(await viewer.getAttribute('data-triangles'), '4');
      assert.equal(await viewer.getAttribute('aria-label'), '3D preview of Hinge');
      console.log(`screenshot: ${await screenshot(page, `model-3d-${name}`)}`);
      assert.deepEqual(browser.problems, [], 'no console errors or failed requests while online');

      // The server goes away. The starred model still opens, hydrated, with the banner.
      const modelUrl = page.url();
      assert.equal(await server.stop(), 0, `server should exit 0 on SIGTERM, logs:\n${server.logs.join('')}`);
      stopped = true;
      await page.goto(modelUrl);
      await page.locator('#offline-banner').waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('#model-name').textContent(), 'Hinge');
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      assert.match(await page.locator('#offline-banner').textContent(), /offline/);
      console.log(`screenshot: ${await screenshot(page, `offline-model-${name}`)}`);

      // A page the worker does not keep leads to the starred list it does keep.
      await page.goto(server.base + '/trash');
      await page.waitForURL(/\?starred=true/, { timeout: 20_000 });
      await page.locator('#models .model-card').first().waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('#models .model-name').textContent(), 'Hinge');
      await page.locator('#offline-banner').waitFor();
    } finally {
      await browser.close();
      if (!stopped) assert.equal(await server.stop(), 0);
    }
  });
}
