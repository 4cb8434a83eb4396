// Collections in a real browser: create a tree, move a collection by
// dragging it onto another and by picking a place, rename, and delete with a
// confirmation that says how many models go to the trash; merge two tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, screenshot, signIn } from './support.mjs';

const row = (page, name) => page.locator(`.collection-row:has(> a.collection-name:text-is("${name}"))`);

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`collections: create, drag to move, rename, delete (${name})`, async () => {
    const server = await startServer();
    const browser = await startBrowser(viewport);
    try {
      const page = await browser.page();
      await signIn(page, server.base);
      await page.goto(server.base + '/collections');
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.locator('#no-collections').waitFor();
      for (const collection of ['Printer parts', 'Garden']) {
        await page.fill('#new-collection', collection);
        await page.click('#create-collection');
        await row(page, collection).waitFor();
      }
      // A sub-collection through the row's "+ Inside" (a prompt asks the name).
      page.once('dialog', (d) => d.accept('Voron'));
      await row(page, 'Printer parts').getByRole('button', { name: 'New collection inside Printer parts' }).click();
      await row(page, 'Voron').waitFor();
      assert.equal(await page.locator('li.collection:has(> .collection-row > a:text-is("Printer parts")) li.collection').count(), 1);

      // Share "Printer parts" with sam as an editor; sam then sees it (and
      // what is inside) but not "Garden"; removing the role hides it again.
      await page.evaluate(() => fetch('/api/v1/users', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'sam', password: 'sam-password-1' }),
      }));
      const samSees = async () => {
        const login = await fetch(server.base + '/api/v1/auth/login', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'sam', password: 'sam-password-1' }),
        });
        const cookie = login.headers.get('set-cookie').split(';')[0];
        const tree = await (await fetch(server.base + '/api/v1/collections', { headers: { cookie } })).json();
        const names = [];
        const walk = (nodes) => nodes.forEach((n) => { names.push(n.name); walk(n.children); });
        walk(tree);
        return names.sort();
      };
      assert.deepEqual(await samSees(), []);
      await row(page, 'Printer parts').getByRole('button', { name: 'Share Printer parts' }).click();
      const panel = page.locator('.share-panel');
      await panel.getByRole('combobox', { name: 'User to share with' }).selectOption({ label: 'sam (@sam)' });
      await panel.getByRole('combobox', { name: 'Role to give' }).selectOption('edit');
      await panel.getByRole('button', { name: 'Share', exact: true }).click();
      await panel.locator('.grant[data-username="sam"]').waitFor({ timeout: 20_000 });
      assert.equal(await panel.getByRole('combobox', { name: 'Role of sam' }).inputValue(), 'edit');
      console.log(`screenshot: ${await screenshot(page, `collections-share-${name}`)}`);
      assert.deepEqual(await samSees(), ['Printer parts', 'Voron']);
      await panel.getByRole('button', { name: 'Stop sharing with sam' }).click();
      await panel.locator('.grant[data-username="sam"]').waitFor({ state: 'detached', timeout: 20_000 });
      assert.deepEqual(await samSees(), []);
      await row(page, 'Printer parts').getByRole('button', { name: 'Share Printer parts' }).click();

      // Drag "Garden" onto "Printer parts": it moves inside.
      await row(page, 'Garden').dragTo(row(page, 'Printer parts'));
      await page.locator('li.collection:has(> .collection-row > a:text-is("Printer parts")) .collection-row:has(> a:text-is("Garden"))').waitFor({ timeout: 20_000 });

      // Move it back to the top with the keyboard-friendly list, then rename it.
      await row(page, 'Garden').getByRole('combobox', { name: 'Move Garden to' }).selectOption('top');
      await page.waitForFunction(() => [...document.querySelectorAll('#collection-tree > li > .collection-row > a')].some((a) => a.textContent === 'Garden'), null, { timeout: 20_000 });
      page.once('dialog', (d) => d.accept('Garden & balcony'));
      await row(page, 'Garden').getByRole('button', { name: 'Rename Garden' }).click();
      await row(page, 'Garden & balcony').waitFor();
      console.log(`screenshot: ${await screenshot(page, `collections-${name}`)}`);

      // Tags: two spellings of one material; merge the stray one into the other.
      for (const tag of ['PLA', 'pla-plus']) {
        await page.fill('#new-tag', tag);
        await page.click('#create-tag');
        await page.locator(`.tag-row[data-tag="${tag}"]`).waitFor({ timeout: 20_000 });
      }
      let merged = '';
      page.once('dialog', (d) => { merged = d.message(); d.accept(); });
      await page.getByRole('combobox', { name: 'Merge tag pla-plus into' }).selectOption({ label: 'PLA' });
      await page.locator('.tag-row[data-tag="pla-plus"]').waitFor({ state: 'detached', timeout: 20_000 });
      assert.match(merged, /Merge "pla-plus" into "PLA"/);
      // The list reloads after the merge: one tag is left.
      await page.waitForFunction(() => document.querySelectorAll('.tag-row').length === 1, null, { timeout: 20_000 });
      assert.equal(await page.locator('.tag-row[data-tag="PLA"]').count(), 1);
      console.log(`screenshot: ${await screenshot(page, `tags-merged-${name}`)}`);

      // Delete "Printer parts": the confirmation names the sub-collection count.
      let asked = '';
      page.once('dialog', (d) => { asked = d.message(); d.accept(); });
      await row(page, 'Printer parts').getByRole('button', { name: 'Delete Printer parts' }).click();
      await page.locator('.notice').waitFor({ timeout: 20_000 });
      assert.match(asked, /Delete "Printer parts" and its 1 sub-collection\(s\)\? 0 model\(s\) go to the trash/);
      assert.match(await page.locator('.notice').textContent(), /Deleted 2 collection\(s\)/);
      assert.equal(await row(page, 'Voron').count(), 0);
      assert.deepEqual(browser.problems, [], 'no console errors or failed requests');
    } finally {
      await browser.close();
      assert.equal(await server.stop(), 0);
    }
  });
}
