// The overlays' service worker, served by the app at /overlay/sw.js with scope /overlay/.
//
// Why: OBS often starts before Streampai Desktop. Without this worker the browser source's page
// cannot load at all (the app serves it) and stays broken until the streamer refreshes it by
// hand. With it, a page that was loaded once comes from this worker's cache, shows nothing (no
// alerts until connected; the small connection dot after 3 s), and its socket client keeps
// retrying until the app appears, then subscribes as usual.
//
// A classic script, copied verbatim by Vite from overlays/public/ (not bundled, no imports: the
// server serves only this one file outside assets/). tests/serviceWorker.test.js runs it in a
// node:vm sandbox and calls the functions below directly.
//
// What goes through the cache (everything else is not intercepted at all):
//   /overlay/{widget}?token=…  page: network first; a copy of each good answer is kept under its
//                              exact URL; when the app is not running, that copy is served.
//                              (Not a preview page, `?preview=…`: a one-off, never stored.)
//   /overlay/assets/{name}     cache first: every asset name carries a content hash, so a stored
//                              copy is never stale.
// Never cached: /overlay/ws (a socket), /api/… (live data), /overlay/sw.js, and /overlay/media/…
// and /overlay/emotes/…: those are only needed while an alert or a chat message is on screen, and
// both only ever arrive from the running app, so a stored copy would never be shown offline;
// videos and sounds are also fetched with Range requests, whose 206 answers the Cache API cannot
// store.

'use strict'

// Bump when the shape of what is stored changes; activate deletes every other version's caches.
const CACHE_PREFIX = 'streampai-overlays-'
const CACHE_VERSION = 'v1'
const PAGE_CACHE = `${CACHE_PREFIX}pages-${CACHE_VERSION}`
const ASSET_CACHE = `${CACHE_PREFIX}assets-${CACHE_VERSION}`
// Every app upgrade brings new hashed asset names; keep the cache bounded by dropping the
// oldest-stored entries beyond this many (a page needs a dozen or so, fonts included).
const MAX_ASSETS = 300
// How long the stand-in page waits before it tries to load the real one again.
const RETRY_SECONDS = 5

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const RESERVED = new Set(['ws', 'sw.js', 'assets', 'media', 'emotes'])

/**
 * How the worker handles a request: 'page', 'asset', or null (not intercepted).
 * `request` needs only `method` and `url`; `origin` is the worker's own origin.
 */
function overlayRoute(request, origin) {
  if (!request || request.method !== 'GET') return null
  let url
  try {
    url = new URL(request.url)
  } catch {
    return null
  }
  if (url.origin !== origin) return null
  const parts = url.pathname.split('/')
  // ['', 'overlay', …]
  if (parts[1] !== 'overlay') return null
  if (parts.length === 4 && parts[2] === 'assets' && ASSET_NAME.test(parts[3])) return 'asset'
  // A preview page (?preview=…) is a one-off: never stored, never served from the cache.
  if (url.searchParams.has('preview')) return null
  if (parts.length === 3 && parts[2] && !RESERVED.has(parts[2]) && url.searchParams.get('token')) {
    return 'page'
  }
  return null
}

/** Shown instead of a browser error page when a page's URL was never stored and the app is not
 * running: empty and transparent on stream, it reloads itself (no script: the CSP forbids inline
 * code, and a meta refresh needs none) until the app answers with the real page. */
function waitingPage() {
  const html =
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="refresh" content="${RETRY_SECONDS}">` +
    '<title>Waiting for Streampai Desktop</title></head><body></body></html>'
  return new Response(html, {
    status: 503,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'",
      'Cache-Control': 'no-store',
    },
  })
}

/** Page: network first; store good answers, forget links the app refuses; offline → stored copy. */
async function pageResponse(request, cache, fetchFn) {
  const key = request.url
  let response
  try {
    response = await fetchFn(request)
  } catch {
    const stored = await cache.match(key)
    return stored || waitingPage()
  }
  if (response.status === 200) {
    await cache.put(key, response.clone())
  } else if (response.status === 401 || response.status === 404) {
    // A replaced token or a deleted widget: do not bring that page back when offline.
    await cache.delete(key)
  }
  return response
}

/** Asset: cache first (names are content-hashed), filled on first use. */
async function assetResponse(request, cache, fetchFn) {
  const key = request.url
  const stored = await cache.match(key)
  if (stored) return stored
  const response = await fetchFn(request)
  if (response.status === 200) {
    await cache.put(key, response.clone())
    await trimCache(cache, MAX_ASSETS)
  }
  return response
}

async function trimCache(cache, max) {
  const keys = await cache.keys()
  for (let i = 0; i < keys.length - max; i++) await cache.delete(keys[i])
}

/** Store the given URLs as if they had been fetched through the worker. A page that loaded
 * before the worker controlled it sends its own URL and its resources once the worker is ready,
 * so even the very first load leaves a usable copy. Failures are ignored. */
async function storeUrls(urls, origin, cacheStorage, fetchFn) {
  if (!Array.isArray(urls)) return
  const fetchUrl = (request) => fetchFn(request.url, { credentials: 'same-origin' })
  for (const url of urls.slice(0, 100)) {
    if (typeof url !== 'string') continue
    const request = { method: 'GET', url }
    const route = overlayRoute(request, origin)
    try {
      if (route === 'page') {
        await pageResponse(request, await cacheStorage.open(PAGE_CACHE), fetchUrl)
      } else if (route === 'asset') {
        await assetResponse(request, await cacheStorage.open(ASSET_CACHE), fetchUrl)
      }
    } catch {
      // the app went away meanwhile: the next load through the worker stores it
    }
  }
}

async function deleteOldCaches(cacheStorage) {
  const keep = new Set([PAGE_CACHE, ASSET_CACHE])
  const names = await cacheStorage.keys()
  await Promise.all(
    names.filter((n) => n.startsWith(CACHE_PREFIX) && !keep.has(n)).map((n) => cacheStorage.delete(n)),
  )
}

/** Wire the handlers to a worker global (`self` in the browser, a fake in tests). */
function installServiceWorker(scope) {
  const origin = scope.location.origin
  scope.addEventListener('install', () => {
    // Take over at once: the page that registered the worker should not need two reloads.
    scope.skipWaiting()
  })
  scope.addEventListener('activate', (event) => {
    event.waitUntil(deleteOldCaches(scope.caches).then(() => scope.clients.claim()))
  })
  scope.addEventListener('fetch', (event) => {
    const route = overlayRoute(event.request, origin)
    if (route === 'page') {
      event.respondWith(
        scope.caches.open(PAGE_CACHE).then((cache) => pageResponse(event.request, cache, scope.fetch)),
      )
    } else if (route === 'asset') {
      event.respondWith(
        scope.caches.open(ASSET_CACHE).then((cache) => assetResponse(event.request, cache, scope.fetch)),
      )
    }
  })
  scope.addEventListener('message', (event) => {
    const data = event.data
    if (!data || data.type !== 'store' || !Array.isArray(data.urls)) return
    event.waitUntil(storeUrls(data.urls, origin, scope.caches, scope.fetch))
  })
}

if (typeof ServiceWorkerGlobalScope !== 'undefined' && self instanceof ServiceWorkerGlobalScope) {
  // fetch must be called with the worker global as `this`.
  installServiceWorker({
    location: self.location,
    caches: self.caches,
    clients: self.clients,
    skipWaiting: () => self.skipWaiting(),
    fetch: (...args) => self.fetch(...args),
    addEventListener: (type, fn) => self.addEventListener(type, fn),
  })
}
