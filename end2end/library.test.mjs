// The library in a real browser: upload several files with progress bars,
// the dedupe answer for a file already in the vault, search and sort in the
// URL, the model page with revisions (adding G-code, moving the recommended
// marker, setting an outcome), trash and restore. On a desktop and a phone
// viewport, with screenshots of each screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, screenshot, signIn, tetrahedron, gcode } from './support.mjs';

const stl = (name, n) => ({ name, mimeType: 'model/stl', buffer: tetrahedron(n) });

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`upload, browse, model page, trash and restore (${name})`, async () => {
    const server = await startServer();
    const browser = await startBrowser(viewport);
    try {
      const page = await browser.page();
      page.on('dialog', (dialog) => dialog.accept());
      await signIn(page, server.base);
      await page.locator('#library-empty').waitFor();

      // Three files at once, each with its own progress bar and outcome.
      await page.setInputFiles('#file-picker', [stl('Bracket.stl', 1), stl('Hinge.stl', 2), stl('Clip.stl', 3)]);
      await page.locator('#uploads .upload[data-state="done"]').nth(2).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#uploads progress').count(), 3);
      assert.equal(await page.locator('#uploads .upload').filter({ hasText: 'Added' }).count(), 3);
      await page.locator('#models .model-card').nth(2).waitFor({ timeout: 20_000 });
      console.log(`screenshot: ${await screenshot(page, `library-uploaded-${name}`)}`);

      // The same mesh again: the vault says where it already is.
      await page.setInputFiles('#file-picker', [stl('bracket-copy.stl', 1)]);
      const dup = page.locator('#uploads .upload').nth(3);
      await dup.locator('.dedupe').waitFor({ timeout: 30_000 });
      assert.match(await dup.textContent(), /Already in the vault.*as Bracket/s);
      console.log(`screenshot: ${await screenshot(page, `library-dedupe-${name}`)}`);

      // Search and sort live in the URL.
      await page.fill('#search', 'hinge');
      await page.waitForURL(/\?q=hinge/);
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 1);
      assert.equal(await page.locator('#models .model-name').textContent(), 'Hinge');
      await page.fill('#search', '');
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 3);
      await page.selectOption('#sort', 'name');
      await page.waitForURL(/sort=name/);
      await page.waitForFunction(() => document.querySelector('#models .model-name')?.textContent === 'Bracket');
      await page.goBack();
      await page.waitForFunction(() => !location.search.includes('sort=name'));

      // The model page: add two G-code revisions; the first one is recommended.
      await page.click('#models .model-card:has-text("Bracket") a');
      await page.locator('#model-name').waitFor();
      assert.equal(await page.locator('#model-name').textContent(), 'Bracket');
      await page.locator('#no-revisions').waitFor();
      await page.setInputFiles('#revision-picker', [{ name: 'bracket_pla.gcode', mimeType: 'text/plain', buffer: gcode(1) }]);
      await page.locator('#revisions .revision').first().waitFor({ timeout: 30_000 });
      await page.setInputFiles('#revision-picker', [{ name: 'bracket_petg.gcode', mimeType: 'text/plain', buffer: gcode(2) }]);
      await page.waitForFunction(() => document.querySelectorAll('#revisions .revision').length === 2, null, { timeout: 30_000 });
      const recommended = page.locator('#revisions .revision[data-recommended="true"]');
      assert.equal(await recommended.count(), 1);
      const firstRecommended = await recommended.getAttribute('data-file-id');
      assert.match(await recommended.textContent(), /★ Recommended/);
      assert.match(await recommended.textContent(), /1 h 1 min/);

      // Move the marker to the other revision and call it known good.
      await page.click('#revisions .revision[data-recommended="false"] .recommend');
      await page.waitForFunction((old) => {
        const now = document.querySelector('#revisions .revision[data-recommended="true"]');
        return now && now.dataset.fileId !== old;
      }, firstRecommended, { timeout: 20_000 });
      await page.locator('#revisions .revision[data-recommended="true"] .outcome-select').selectOption('known_good');
      await page.locator('#revisions .revision[data-recommended="true"] .badge.ok').waitFor({ timeout: 20_000 });
      // Edit: tags (comma-separated) are saved with the name.
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.fill('#edit-tags', 'PETG, outdoor');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('.model-info .model-tags .tag:text-is("outdoor")').waitFor({ timeout: 20_000 });

      // The two revisions' settings side by side: only what differs.
      await page.click('#open-diff');
      const diff = page.locator('#diff-table');
      await diff.waitFor({ timeout: 20_000 });
      assert.match(await diff.textContent(), /fill_density.*(15%.*20%|20%.*15%)/s);
      assert.doesNotMatch(await diff.textContent(), /layer_height/);
      console.log(`screenshot: ${await screenshot(page, `model-detail-${name}`)}`);

      // Trash it (after a confirmation), then restore it from the trash.
      await page.click('#trash-model');
      await page.waitForURL(server.base + '/', { timeout: 20_000 });
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 2);
      const tabs = name === 'phone' ? '.tabbar' : '.topnav';
      await page.click(`${tabs} a[href="/trash"]`);
      const item = page.locator('#trash-list .trash-item');
      await item.waitFor();
      assert.match(await item.textContent(), /Bracket.*30 days left/s);
      console.log(`screenshot: ${await screenshot(page, `trash-${name}`)}`);
      await item.locator('.restore').click();
      await page.locator('#trash-empty').waitFor({ timeout: 20_000 });
      await page.click(`${tabs} a[href="/"]`);
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 3);
      // The tag facet filters to the tagged model.
      await page.click('.facet-group[data-facet="tag"] a:has-text("outdoor")');
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 1);
      assert.equal(await page.locator('#models .model-name').textContent(), 'Bracket');

      // Browsing a collection, uploads go into it.
      const created = await page.evaluate(async () => {
        const res = await fetch('/api/v1/collections', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Garden' }) });
        return res.json();
      });
      await page.goto(`${server.base}/?collection=${created.id}`);
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.locator('#library-empty').waitFor();
      await page.setInputFiles('#file-picker', [stl('Planter.stl', 9)]);
      await page.locator('#uploads .upload[data-state="done"]').waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 1, null, { timeout: 20_000 });
      assert.equal(await page.locator('#models .model-name').textContent(), 'Planter');

      // Bulk actions: tag one model, trash two, from the selection toolbar.
      await page.evaluate(() => fetch('/api/v1/tags', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'spare' }),
      }));
      await page.goto(server.base + '/?sort=name');
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 4);
      await page.getByRole('checkbox', { name: 'Select Bracket' }).check();
      await page.locator('#bulk-bar').waitFor();
      await page.getByRole('combobox', { name: 'Tag the selected models' }).selectOption({ label: 'spare' });
      await page.locator('#models .model-card:has-text("Bracket") .tag:text-is("spare")').waitFor({ timeout: 20_000 });
      await page.getByRole('checkbox', { name: 'Select Hinge' }).check();
      await page.getByRole('checkbox', { name: 'Select Clip' }).check();
      assert.match(await page.locator('#bulk-bar').textContent(), /2 selected/);
      console.log(`screenshot: ${await screenshot(page, `library-bulk-${name}`)}`);
      await page.locator('#bulk-bar').getByRole('button', { name: 'Move to trash' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 2, null, { timeout: 20_000 });
      assert.equal(await page.locator('#bulk-bar').count(), 0, 'the selection is cleared');

      const unexpected = browser.problems.filter((p) => !p.includes('status of 500'));
      assert.deepEqual(unexpected, [], 'no console errors or failed requests');
    } finally {
      await browser.close();
      const code = await server.stop();
      assert.equal(code, 0, `server should exit 0 on SIGTERM, logs:\n${server.logs.join('')}`);
    }
  });
}
