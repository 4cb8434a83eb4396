// PrintStash service worker: keeps the app shell, the thumbnails seen while
// browsing, and a copy of every starred model (its page, pictures, the
// recommended revision's file and its 3D preview) so they open at the printer
// without a connection. The list of what to keep comes from the server
// (`/api/v1/offline-manifest`); pages are refreshed on every sync, files that
// never change under their URL are fetched once. See ADR 0010.
'use strict';

const VERSION = 'v1';
const SHELL = `printstash-shell-${VERSION}`;
const STARRED = `printstash-starred-${VERSION}`;
const IMAGES = `printstash-images-${VERSION}`;
const SHELL_URLS = [
  '/pkg/printstash.js',
  '/pkg/printstash.wasm',
  '/pkg/printstash.css',
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/viewer/mesh-viewer.js',
];
/** The page an offline visitor lands on when the one they asked for is not kept. */
const STARRED_LIST = '/?starred=true';
/** Most thumbnails kept from browsing (starred models' pictures are kept apart). */
const MAX_IMAGES = 400;
/** How long a page request waits for the server before the offline copy answers. */
const NAVIGATION_TIMEOUT_MS = 5000;
/** Least time between two syncs nobody asked for explicitly. */
const SYNC_INTERVAL_MS = 60_000;

let lastSync = 0;
let syncing = null;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL)
      .then((cache) => Promise.all(SHELL_URLS.map((url) => cache.add(url).catch(() => undefined))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  const keep = new Set([SHELL, STARRED, IMAGES]);
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('printstash-') && !keep.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'sync-offline') {
    event.waitUntil(syncStarred(Boolean(data.force)).then(() => reply(event, { type: 'offline-synced' })));
  } else if (data.type === 'forget-offline') {
    event.waitUntil(caches.delete(STARRED).then(() => caches.delete(IMAGES)).then(() => reply(event, { type: 'offline-forgotten' })));
  }
});

function reply(event, message) {
  if (event.source && event.source.postMessage) event.source.postMessage(message);
}

/** Tells every open page whether the server answered. */
async function announce(online) {
  const pages = await self.clients.matchAll({ type: 'window' });
  for (const page of pages) page.postMessage({ type: 'connection', online });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request, url));
  } else if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL));
  } else if (/^\/api\/v1\/files\/\d+\/thumbnail$/.test(url.pathname)) {
    event.respondWith(thumbnail(request));
  } else if (/^\/api\/v1\/files\/\d+\/(download|preview-mesh)$/.test(url.pathname)) {
    event.respondWith(networkFirst(request, null));
  }
});

/** Races a fetch against a timeout (a server that hangs counts as gone). */
function fetchWithin(request, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    fetch(request).then(
      (res) => { clearTimeout(timer); resolve(res); },
      (err) => { clearTimeout(timer); reject(err); },
    );
  });
}

/** A page: the server's answer when it gives one, else the kept copy. */
async function page(request, url) {
  const key = url.pathname + url.search;
  try {
    const res = await fetchWithin(request, NAVIGATION_TIMEOUT_MS);
    announce(true);
    if (res.ok && res.type === 'basic') {
      const kept = await caches.open(STARRED);
      if (await kept.match(key)) kept.put(key, res.clone());
    }
    return res;
  } catch {
    announce(false);
    const kept = await caches.open(STARRED);
    const copy = await kept.match(key);
    if (copy) return markOffline(copy);
    if (key !== STARRED_LIST && (await kept.match(STARRED_LIST))) {
      return Response.redirect(STARRED_LIST, 302);
    }
    return offlinePage();
  }
}

/** The kept page with `data-offline` on <html>, so the app shows its banner at once. */
async function markOffline(response) {
  const html = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(html.replace(/<html\b/i, '<html data-offline="true"'), { status: 200, headers });
}

function offlinePage() {
  const body = '<!DOCTYPE html><html lang="en" data-offline="true"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · PrintStash</title>'
    + '<link rel="stylesheet" href="/pkg/printstash.css"></head><body><main class="content">'
    + '<section class="page"><h1>You are offline</h1><p class="muted">PrintStash cannot reach the server. '
    + 'Star a model while you are online to keep it for viewing offline.</p>'
    + '<p><a class="button" href="/">Try again</a></p></section></main></body></html>';
  return new Response(body, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

/** App files: fresh from the server when it answers (so an upgrade is picked up), else the kept copy. */
async function networkFirst(request, cacheName) {
  try {
    const res = await fetch(request);
    if (cacheName && res.ok) (await caches.open(cacheName)).put(request, res.clone());
    return res;
  } catch (err) {
    announce(false);
    const copy = await caches.match(request, { ignoreVary: true });
    if (copy) return copy;
    throw err;
  }
}

/** Thumbnails never change under their URL: the kept copy first. */
async function thumbnail(request) {
  const copy = await caches.match(request);
  if (copy) return copy;
  const res = await fetch(request);
  if (res.ok) {
    const cache = await caches.open(IMAGES);
    await cache.put(request, res.clone());
    trim(cache, MAX_IMAGES);
  }
  return res;
}

async function trim(cache, max) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - max))) await cache.delete(key);
}

/** Brings the starred copy in line with the server's offline manifest. */
function syncStarred(force) {
  // A forced sync waits for one already running, then runs again (a star
  // may have changed after the running one read the manifest).
  if (syncing) return force ? syncing.then(() => syncStarred(true)) : syncing;
  if (!force && Date.now() - lastSync < SYNC_INTERVAL_MS) return Promise.resolve();
  syncing = doSync().finally(() => { syncing = null; lastSync = Date.now(); });
  return syncing;
}

async function doSync() {
  let res;
  try {
    res = await fetch('/api/v1/offline-manifest', { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    return; // offline: keep what we have
  }
  if (res.status === 401 || res.status === 403) {
    // Signed out: nothing of this account stays on the device.
    await caches.delete(STARRED);
    return;
  }
  if (!res.ok) return;
  const manifest = await res.json();
  const cache = await caches.open(STARRED);
  const wanted = new Set([...manifest.pages, ...manifest.assets]);
  for (const url of manifest.pages) {
    try {
      const pageRes = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (pageRes.ok && !pageRes.redirected) await cache.put(url, pageRes);
    } catch { /* keep the older copy */ }
  }
  for (const url of manifest.assets) {
    if (await cache.match(url)) continue;
    try {
      const assetRes = await fetch(url, { credentials: 'same-origin' });
      if (assetRes.ok) await cache.put(url, assetRes);
    } catch { /* try again next sync */ }
  }
  for (const request of await cache.keys()) {
    const u = new URL(request.url);
    if (!wanted.has(u.pathname + u.search)) await cache.delete(request);
  }
}
