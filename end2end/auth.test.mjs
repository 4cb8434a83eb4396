// Sign-in in a real browser: a fresh vault sends the first visitor to the
// one-time setup, which creates the admin and signs in; signing out leads to
// the sign-in page, where a wrong password is explained in place and the
// right one gets back in. On a desktop and a phone viewport, with screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, screenshot } from './support.mjs';

const OWNER = { username: 'maker', password: 'correct horse battery' };

for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`setup, sign in, sign out and a wrong password (${name})`, async () => {
    // No admin from the environment: this vault needs its setup.
    const server = await startServer({ VAULT_ADMIN_USERNAME: '', VAULT_ADMIN_PASSWORD: '' });
    const browser = await startBrowser(viewport);
    try {
      const page = await browser.page();

      // The first visit anywhere lands on the setup page.
      await page.goto(server.base + '/trash');
      await page.waitForURL(server.base + '/setup', { timeout: 20_000 });
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.getByRole('heading', { name: 'Welcome to PrintStash' }).waitFor();
      await page.getByLabel('Username').fill(OWNER.username);
      await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
      await page.getByLabel('Password again').fill('not the same');
      await page.click('#setup-submit');
      await page.getByText('The two passwords are not the same.').waitFor();
      await page.getByLabel('Password again').fill(OWNER.password);
      console.log(`screenshot: ${await screenshot(page, `auth-setup-${name}`)}`);
      await page.click('#setup-submit');

      // Signed in: the library, with the user in the header.
      await page.waitForURL(server.base + '/', { timeout: 20_000 });
      await page.getByRole('heading', { name: 'Library' }).waitFor();
      assert.equal(await page.locator('#signed-in-as').textContent(), OWNER.username);
      const cookies = await browser.context.cookies();
      const session = cookies.find((c) => c.name === 'printstash_session');
      assert.ok(session, 'the session cookie is set');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      console.log(`screenshot: ${await screenshot(page, `auth-signed-in-${name}`)}`);

      // Setup is over: the setup page sends visitors on to the app.
      await page.goto(server.base + '/setup');
      await page.waitForURL(server.base + '/', { timeout: 20_000 });

      // Sign out: the session ends and the app asks for sign-in again.
      await page.goto(server.base + '/');
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.click('#sign-out');
      await page.waitForURL(server.base + '/login', { timeout: 20_000 });
      await page.goto(server.base + '/');
      await page.waitForURL(server.base + '/login', { timeout: 20_000 });
      assert.equal(await page.locator('#signed-in-as').count(), 0);
      await page.goto(server.base + '/setup');
      await page.waitForURL(server.base + '/login', { timeout: 20_000 });

      // A wrong password is explained where it happened.
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Username').fill(OWNER.username);
      await page.getByLabel('Password').fill('wrong password');
      await page.click('#login-submit');
      const error = page.locator('#login-error');
      await error.waitFor({ timeout: 20_000 });
      assert.equal(await error.textContent(), 'Wrong username or password.');
      assert.equal(await error.getAttribute('role'), 'alert');
      console.log(`screenshot: ${await screenshot(page, `auth-wrong-password-${name}`)}`);

      // The right one gets back in.
      await page.getByLabel('Password').fill(OWNER.password);
      await page.click('#login-submit');
      await page.waitForURL(server.base + '/', { timeout: 20_000 });
      await page.locator('#signed-in-as').waitFor();
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });

      // Settings: an API token is made in the UI, shown once, works as a
      // slicer would send it, and stops working when revoked.
      const nav = name === 'phone' ? '.tabbar' : '.topnav';
      await page.click(`${nav} a[href="/settings"]`);
      await page.getByRole('heading', { name: 'API tokens' }).waitFor();
      await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 20_000 });
      await page.locator('#no-tokens').waitFor();
      await page.fill('#token-name', 'PrusaSlicer');
      await page.selectOption('#token-expiry', '90');
      await page.click('#token-create');
      const secret = (await page.locator('#new-token').textContent({ timeout: 20_000 })).trim();
      assert.match(secret, /^psk_[0-9a-f]{64}$/);
      await page.locator('#token-list .token[data-state="active"]').waitFor();
      assert.match(await page.locator('#token-list').textContent(), /PrusaSlicer.*expires/s);
      console.log(`screenshot: ${await screenshot(page, `settings-token-${name}`)}`);
      const asSlicer = () => fetch(server.base + '/api/v1/auth/me', { headers: { 'X-Api-Key': secret } });
      const me = await asSlicer();
      assert.equal(me.status, 200);
      assert.equal((await me.json()).username, OWNER.username);
      await page.getByRole('button', { name: 'Revoke the token PrusaSlicer' }).click();
      await page.locator('#token-list .token[data-state="revoked"]').waitFor({ timeout: 20_000 });
      assert.equal((await asSlicer()).status, 401, 'a revoked token is refused');

      // The admin's settings: add a user and disable them, change a runtime
      // setting (and see it is overridden), read the vault statistics.
      await page.fill('#new-user-name', 'sam');
      await page.fill('#new-user-password', 'sam-password-1');
      await page.click('#create-user');
      const sam = page.locator('#user-list .user[data-username="sam"]');
      await sam.waitFor({ timeout: 20_000 });
      await sam.getByRole('button', { name: 'Disable sam' }).click();
      await page.locator('#user-list .user[data-username="sam"][data-disabled="true"]').waitFor({ timeout: 20_000 });
      await page.fill('#setting-trash_retention_days', '14');
      await page.press('#setting-trash_retention_days', 'Tab');
      await page.locator('#runtime-settings .setting:has(#setting-trash_retention_days) button:text("Reset")').waitFor({ timeout: 20_000 });
      await page.locator('#vault-stats dd').first().waitFor();
      console.log(`screenshot: ${await screenshot(page, `settings-admin-${name}`)}`);
      const samLogin = await fetch(server.base + '/api/v1/auth/login', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'sam', password: 'sam-password-1' }),
      });
      assert.equal(samLogin.status, 401, 'a disabled user cannot sign in');

      // The only failed requests were the refused sign-in (a server function
      // answers errors with 500 and the error as JSON).
      const unexpected = browser.problems.filter((p) => !p.includes('/api/login') && !p.includes('status of 500'));
      assert.deepEqual(unexpected, [], 'no other console errors or failed requests');
    } finally {
      await browser.close();
      const code = await server.stop();
      assert.equal(code, 0, `server should exit 0 on SIGTERM, logs:\n${server.logs.join('')}`);
    }
  });
}
