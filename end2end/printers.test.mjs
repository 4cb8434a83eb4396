// Printers in a real browser against the Moonraker simulator (real HTTP +
// websocket JSON-RPC): an admin adds the printer, a revision is sent with a
// preflight and an upload progress bar, the printers page shows the print's
// progress bar moving live over the websocket, and when the print finishes
// the page asks how it went; the answer becomes the revision's outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, startMoonrakerSim, screenshot, signIn, tetrahedron, gcode } from './support.mjs';

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`send a revision and watch it print live (${name})`, async () => {
    const sim = await startMoonrakerSim(['--print-seconds', '14', '--updates-per-second', '4']);
    const server = await startServer();
    const browser = await startBrowser(viewport);
    try {
      const page = await browser.page();
      page.on('dialog', (dialog) => dialog.accept());
      await signIn(page, server.base);
      const tabs = name === 'phone' ? '.tabbar' : '.topnav';

      // The admin adds the printer with the form.
      await page.click(`${tabs} a[href="/printers"]`);
      await page.locator('#no-printers').waitFor();
      await page.locator('#add-printer summary').click();
      await page.fill('#new-printer-name', 'Voron');
      await page.fill('#new-printer-host', '127.0.0.1');
      await page.fill('#new-printer-port', String(sim.port));
      await page.fill('#new-printer-model', 'Voron 2.4');
      await page.fill('#new-printer-nozzle', '0.4');
      await page.click('#new-printer-save');
      const card = page.locator('.printer-card').first();
      await card.waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => document.querySelector('.printer-card .printer-connection')?.textContent === 'Online', null, { timeout: 20_000 });
      await page.waitForFunction(() => document.querySelector('#live-indicator')?.dataset.live === 'true', null, { timeout: 20_000 });

      // A model with a G-code revision.
      await page.click(`${tabs} a[href="/"]`);
      await page.locator('#library-empty').waitFor();
      await page.setInputFiles('#file-picker', [{ name: 'Bracket.stl', mimeType: 'model/stl', buffer: tetrahedron(4) }]);
      await page.locator('#uploads .upload[data-state="done"]').waitFor({ timeout: 30_000 });
      await page.click('#models .model-card a.model-link');
      await page.locator('#model-name').waitFor();
      await page.setInputFiles('#revision-picker', [{ name: 'bracket.gcode', mimeType: 'text/plain', buffer: gcode(3) }]);
      await page.locator('#revisions .revision').first().waitFor({ timeout: 30_000 });
      const fileId = await page.locator('#revisions .revision').first().getAttribute('data-file-id');

      // Send it: the preflight, then the upload with its progress bar.
      await page.click('#revisions .revision .send-open');
      await page.selectOption(`#send-printer-${fileId}`, { label: 'Voron' });
      await page.locator('table.preflight').waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('table.preflight tbody tr').count(), 4);
      await page.click(`#send-print-${fileId}`);
      await page.locator('.send-progress[data-state="completed"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator(`#send-progress-${fileId}`).getAttribute('value'), '100');
      console.log(`screenshot: ${await screenshot(page, `send-to-printer-${name}`)}`);

      // The printers page: the progress bar moves live.
      await page.click('.send-progress a[href="/printers"]');
      const progress = page.locator('.printer-card .print-progress');
      await progress.waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => Number(document.querySelector('.printer-card .print-progress')?.value) > 0.05, null, { timeout: 30_000 });
      const first = Number(await progress.getAttribute('value'));
      await page.waitForFunction((v) => Number(document.querySelector('.printer-card .print-progress')?.value) > v + 0.05, first, { timeout: 30_000 });
      assert.match(await page.locator('.printer-card .temp-nozzle').textContent(), /°C/);
      assert.match(await page.locator('.printer-card .printer-job').textContent(), /bracket\.gcode/);
      console.log(`screenshot: ${await screenshot(page, `printers-live-${name}`)}`);

      // Finished: the page asks how it went; "Printed fine" marks the revision known good.
      await page.locator('.printer-card [data-state="complete"]').waitFor({ timeout: 40_000 });
      await page.locator('#outcome-prompts .outcome-prompt').waitFor({ timeout: 20_000 });
      console.log(`screenshot: ${await screenshot(page, `printers-outcome-${name}`)}`);
      await page.locator('#outcome-prompts').getByRole('button', { name: 'Printed fine' }).click();
      await page.locator('#outcome-prompts').waitFor({ state: 'detached', timeout: 20_000 });
      const detail = await page.evaluate(async () => {
        const models = await (await fetch('/api/v1/models')).json();
        return (await fetch(`/api/v1/models/${models.items[0].id}`)).json();
      });
      assert.equal(detail.revisions[0].revision.status, 'known_good');
      assert.deepEqual(browser.problems, [], 'no console errors or failed requests');
    } finally {
      await browser.close();
      assert.equal(await server.stop(), 0);
      await sim.stop();
    }
  });
}
