// Whole folders and long lists in a real browser: a picked folder's meshes
// land in collections named like its subfolders (other files are skipped
// with a note), and the back button returns to where a long library list
// was left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startBrowser, screenshot, signIn, tetrahedron } from './support.mjs';

test('a folder upload makes collections; back restores the scroll position', async () => {
  const server = await startServer();
  const browser = await startBrowser({ width: 1280, height: 800 });
  const dir = mkdtempSync(join(tmpdir(), 'printstash-folder-'));
  try {
    const garden = join(dir, 'Garden');
    mkdirSync(join(garden, 'Pots'), { recursive: true });
    writeFileSync(join(garden, 'Tray.stl'), tetrahedron(11));
    writeFileSync(join(garden, 'Pots', 'Pot.stl'), tetrahedron(12));
    writeFileSync(join(garden, 'README.md'), '# print these in PETG\n');

    const page = await browser.page();
    await signIn(page, server.base);
    await page.locator('#library-empty').waitFor();
    await page.waitForSelector('#folder-picker[webkitdirectory]');
    await page.setInputFiles('#folder-picker', garden);
    await page.locator('#uploads .upload[data-state="done"]').nth(1).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#uploads .upload').count(), 2);
    assert.match(await page.locator('#upload-skipped').textContent(), /Skipped 1 file that is not meshes or G-code: Garden\/README\.md/);
    console.log(`screenshot: ${await screenshot(page, 'library-folder-desktop')}`);
    const tree = await page.evaluate(async () => (await fetch('/api/v1/collections')).json());
    const gardenNode = tree.find((c) => c.name === 'Garden');
    assert.ok(gardenNode, JSON.stringify(tree));
    assert.equal(gardenNode.model_count, 1);
    const pots = gardenNode.children.find((c) => c.name === 'Pots');
    assert.equal(pots?.model_count, 1, JSON.stringify(gardenNode));

    // A list longer than the screen: 40 more models.
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `Part ${String(i).padStart(2, '0')}.stl`, mimeType: 'model/stl', buffer: tetrahedron(100 + i) }));
    await page.setInputFiles('#file-picker', many);
    await page.waitForFunction(() => document.querySelectorAll('#uploads .upload[data-state="done"]').length === 42, null, { timeout: 90_000 });
    await page.goto(server.base + '/?sort=name');
    await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 42);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForTimeout(300);
    const left = await page.evaluate(() => window.scrollY);
    assert.ok(left > 800, `scrolled down to ${left}`);
    const card = page.locator('#models .model-card').last();
    const cardName = await card.locator('.model-name').textContent();
    await card.locator('a.model-link').click();
    await page.waitForFunction((n) => document.querySelector('#model-name')?.textContent === n, cardName, { timeout: 20_000 });
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('#models .model-card').length === 42, null, { timeout: 20_000 });
    await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 40, left, { timeout: 10_000 });
    assert.deepEqual(browser.problems, [], 'no console errors or failed requests');
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(await server.stop(), 0);
  }
});
