// The service worker (public/sw.js, a classic script) run in a node:vm sandbox with in-memory
// caches and a scripted network, plus its registration from mountOverlay.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import vm from 'node:vm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import AlertBox from '../src/alert_box/AlertBox.vue'
import { mountOverlay, registerServiceWorker } from '../src/shared/mountOverlay.js'
import { fakeWebSocketClass, manualTimers } from './helpers.js'

const ORIGIN = 'http://127.0.0.1:7470'
const PAGE = `${ORIGIN}/overlay/alert_box?token=tok123`
const ASSET = `${ORIGIN}/overlay/assets/shared-AbC123.js`
const SW_SOURCE = readFileSync(resolve(import.meta.dirname, '../public/sw.js'), 'utf8')

/** A minimal Response: what sw.js uses (status, clone, text) and what the tests read. */
class FakeResponse {
  constructor(body = '', init = {}) {
    this.body = body
    this.status = init.status ?? 200
    this.headers = new Map(Object.entries(init.headers || {}))
  }
  clone() {
    return new FakeResponse(this.body, { status: this.status, headers: Object.fromEntries(this.headers) })
  }
  async text() {
    return this.body
  }
}

function fakeCacheStorage() {
  const stores = new Map()
  const keyOf = (req) => (typeof req === 'string' ? req : req.url)
  function makeCache() {
    const entries = new Map()
    return {
      entries,
      async match(req) {
        return entries.get(keyOf(req))?.clone()
      },
      async put(req, res) {
        entries.delete(keyOf(req)) // re-insert last, like the Cache API's order
        entries.set(keyOf(req), res)
      },
      async delete(req) {
        return entries.delete(keyOf(req))
      },
      async keys() {
        return [...entries.keys()].map((url) => ({ url }))
      },
    }
  }
  return {
    stores,
    async open(name) {
      if (!stores.has(name)) stores.set(name, makeCache())
      return stores.get(name)
    },
    async keys() {
      return [...stores.keys()]
    },
    async delete(name) {
      return stores.delete(name)
    },
  }
}

/** Load sw.js into a sandbox; returns its functions and a fake worker scope wired to them. */
function loadWorker({ network } = {}) {
  const context = vm.createContext({ URL, Response: FakeResponse, Set, Promise })
  const api = vm.runInContext(
    `${SW_SOURCE}\n;({ overlayRoute, pageResponse, assetResponse, storeUrls, installServiceWorker,` +
      ' PAGE_CACHE, ASSET_CACHE, MAX_ASSETS })',
    context,
  )
  const listeners = {}
  const caches = fakeCacheStorage()
  const fetch = vi.fn(async (req) => {
    const url = typeof req === 'string' ? req : req.url
    if (!network?.up) throw new TypeError('Failed to fetch')
    const answer = network.answers?.[url]
    return answer ? answer() : new FakeResponse(`body of ${url}`)
  })
  const scope = {
    location: { origin: ORIGIN },
    caches,
    clients: { claim: vi.fn(async () => {}) },
    skipWaiting: vi.fn(),
    fetch,
    addEventListener: (type, fn) => {
      listeners[type] = fn
    },
  }
  api.installServiceWorker(scope)
  /** Dispatch a fetch event; resolves to the worker's response, or null when not intercepted. */
  async function dispatchFetch(url, { method = 'GET', mode = 'navigate' } = {}) {
    let responded = null
    listeners.fetch({ request: { url, method, mode }, respondWith: (p) => (responded = p) })
    return responded ? await responded : null
  }
  async function dispatch(type, event = {}) {
    const pending = []
    listeners[type]({ ...event, waitUntil: (p) => pending.push(p) })
    await Promise.all(pending)
  }
  return { api, scope, caches, fetch, dispatchFetch, dispatch }
}

describe('service worker routing', () => {
  const { api } = loadWorker()
  const route = (url, method = 'GET') => api.overlayRoute({ url, method }, ORIGIN)

  it('treats widget pages with a token as pages', () => {
    expect(route(PAGE)).toBe('page')
    expect(route(`${ORIGIN}/overlay/chat_box-2f9c1a?token=t`)).toBe('page')
  })

  it('treats hashed bundle files as assets', () => {
    expect(route(ASSET)).toBe('asset')
    expect(route(`${ORIGIN}/overlay/assets/inter-latin-400-normal-Bx1.woff2`)).toBe('asset')
  })

  it('leaves everything else to the network', () => {
    for (const url of [
      `${ORIGIN}/overlay/ws?token=t`,
      `${ORIGIN}/overlay/sw.js`,
      `${ORIGIN}/overlay/alert_box`, // no token: the server's 401, never a stored page
      `${ORIGIN}/overlay/media/builtin/follow.svg?token=t`,
      `${ORIGIN}/overlay/emotes/twitch/25?token=t`,
      `${ORIGIN}/api/v1/status`,
      `${ORIGIN}/healthz`,
      `${ORIGIN}/overlay/assets/sub/x.js`,
      `${ORIGIN}/overlay/`,
      `http://localhost:7470/overlay/alert_box?token=t`, // another origin
      `${ORIGIN}/overlay/alert_box?token=t&preview=p1`, // a preview page: a one-off
      'not a url',
    ]) {
      expect(route(url), url).toBeNull()
    }
    expect(route(PAGE, 'POST')).toBeNull()
    expect(route(ASSET, 'HEAD')).toBeNull()
  })
})

describe('service worker caching', () => {
  it('serves a page from the network and keeps a copy for when the app is down', async () => {
    const network = { up: true }
    const w = loadWorker({ network })
    const online = await w.dispatchFetch(PAGE)
    expect(await online.text()).toBe(`body of ${PAGE}`)

    network.up = false
    const offline = await w.dispatchFetch(PAGE)
    expect(offline.status).toBe(200)
    expect(await offline.text()).toBe(`body of ${PAGE}`)
    // Not another widget's or another token's copy: a stand-in page that retries.
    const other = await w.dispatchFetch(`${ORIGIN}/overlay/alert_box?token=other`)
    expect(other.status).toBe(503)
    expect(await other.text()).toContain('http-equiv="refresh"')
    expect(other.headers.get('Cache-Control')).toBe('no-store')
  })

  it('prefers the network for pages, and forgets a page the app refuses', async () => {
    const network = { up: true, answers: {} }
    const w = loadWorker({ network })
    await w.dispatchFetch(PAGE)
    network.answers[PAGE] = () => new FakeResponse('new build')
    expect(await (await w.dispatchFetch(PAGE)).text()).toBe('new build')
    network.answers[PAGE] = () => new FakeResponse('This overlay link is not valid any more.', { status: 401 })
    expect((await w.dispatchFetch(PAGE)).status).toBe(401)
    network.up = false
    expect((await w.dispatchFetch(PAGE)).status).toBe(503)
  })

  it('does not store error answers', async () => {
    const network = { up: true, answers: { [PAGE]: () => new FakeResponse('not built', { status: 503 }) } }
    const w = loadWorker({ network })
    expect((await w.dispatchFetch(PAGE)).status).toBe(503)
    const pages = await w.caches.open(w.api.PAGE_CACHE)
    expect(pages.entries.size).toBe(0)
  })

  it('serves assets from the cache once stored, without asking the network again', async () => {
    const network = { up: true }
    const w = loadWorker({ network })
    await w.dispatchFetch(ASSET, { mode: 'cors' })
    expect(w.fetch).toHaveBeenCalledTimes(1)
    const again = await w.dispatchFetch(ASSET, { mode: 'cors' })
    expect(await again.text()).toBe(`body of ${ASSET}`)
    expect(w.fetch).toHaveBeenCalledTimes(1)
    network.up = false
    expect(await (await w.dispatchFetch(ASSET, { mode: 'cors' })).text()).toBe(`body of ${ASSET}`)
  })

  it('keeps the asset cache bounded, dropping the oldest entries', async () => {
    const w = loadWorker({ network: { up: true } })
    const max = w.api.MAX_ASSETS
    for (let i = 0; i < max + 5; i++) await w.dispatchFetch(`${ORIGIN}/overlay/assets/a${i}.js`)
    const assets = await w.caches.open(w.api.ASSET_CACHE)
    expect(assets.entries.size).toBe(max)
    expect(assets.entries.has(`${ORIGIN}/overlay/assets/a0.js`)).toBe(false)
    expect(assets.entries.has(`${ORIGIN}/overlay/assets/a${max + 4}.js`)).toBe(true)
  })

  it('does not intercept media, emotes, the socket or the API', async () => {
    const w = loadWorker({ network: { up: true } })
    expect(await w.dispatchFetch(`${ORIGIN}/overlay/media/builtin/follow.svg?token=t`)).toBeNull()
    expect(await w.dispatchFetch(`${ORIGIN}/api/v1/status`)).toBeNull()
    expect(w.fetch).not.toHaveBeenCalled()
  })

  it('takes over at once and deletes caches of older versions on activate', async () => {
    const w = loadWorker()
    await w.caches.open('streampai-overlays-pages-v0')
    await w.caches.open('someone-elses-cache')
    await w.caches.open(w.api.PAGE_CACHE)
    await w.dispatch('install')
    expect(w.scope.skipWaiting).toHaveBeenCalled()
    await w.dispatch('activate')
    expect(await w.caches.keys()).toEqual(['someone-elses-cache', w.api.PAGE_CACHE])
    expect(w.scope.clients.claim).toHaveBeenCalled()
  })

  it('stores a page and its assets on request from a page it did not control yet', async () => {
    const network = { up: true }
    const w = loadWorker({ network })
    await w.dispatch('message', {
      data: { type: 'store', urls: [PAGE, ASSET, `${ORIGIN}/overlay/media/builtin/x.svg?token=t`, 42] },
    })
    expect(w.fetch.mock.calls.map((c) => c[0])).toEqual([PAGE, ASSET])
    network.up = false
    expect(await (await w.dispatchFetch(PAGE)).text()).toBe(`body of ${PAGE}`)
    expect(await (await w.dispatchFetch(ASSET)).text()).toBe(`body of ${ASSET}`)
  })

  it('ignores other messages', async () => {
    const w = loadWorker({ network: { up: true } })
    await w.dispatch('message', { data: 'hello' })
    await w.dispatch('message', { data: { type: 'store', urls: 'x' } })
    expect(w.fetch).not.toHaveBeenCalled()
  })
})

function fakeWindow({ protocol = 'http:', controller = null, register } = {}) {
  const win = new EventTarget()
  win.location = {
    protocol,
    host: '127.0.0.1:7470',
    pathname: '/overlay/alert_box',
    search: '?token=tok123',
    href: PAGE,
  }
  win.console = { warn() {} }
  const active = { postMessage: vi.fn() }
  win.navigator = {
    serviceWorker: {
      controller,
      register: register || vi.fn(async () => ({ scope: `${ORIGIN}/overlay/` })),
      ready: Promise.resolve({ active }),
    },
  }
  win.performance = { getEntriesByType: () => [{ name: ASSET }] }
  return { win, active }
}

describe('service worker registration', () => {
  let mounted
  afterEach(() => {
    mounted?.socket.stop()
    mounted?.app.unmount()
    mounted = null
    document.body.innerHTML = ''
  })

  it('registers /overlay/sw.js for /overlay/ and asks it to store the first load', async () => {
    const { win, active } = fakeWindow()
    await registerServiceWorker(win)
    expect(win.navigator.serviceWorker.register).toHaveBeenCalledWith('/overlay/sw.js', { scope: '/overlay/' })
    expect(active.postMessage).toHaveBeenCalledWith({ type: 'store', urls: [PAGE, ASSET] })
  })

  it('sends nothing when the worker already served this page', async () => {
    const { win, active } = fakeWindow({ controller: {} })
    await registerServiceWorker(win)
    expect(win.navigator.serviceWorker.register).toHaveBeenCalledOnce()
    expect(active.postMessage).not.toHaveBeenCalled()
  })

  it('does nothing outside http(s) or without service workers', async () => {
    const { win } = fakeWindow({ protocol: 'file:' })
    expect(registerServiceWorker(win)).toBeNull()
    expect(win.navigator.serviceWorker.register).not.toHaveBeenCalled()
    expect(registerServiceWorker({ location: { protocol: 'http:' }, navigator: {} })).toBeNull()
  })

  it('ignores a failed registration, whether it throws or rejects', async () => {
    const rejecting = fakeWindow({ register: vi.fn(async () => Promise.reject(new Error('denied'))) })
    await expect(registerServiceWorker(rejecting.win)).resolves.toBeNull()
    const throwing = fakeWindow({
      register: vi.fn(() => {
        throw new Error('SecurityError')
      }),
    })
    expect(registerServiceWorker(throwing.win)).toBeNull()
  })

  it('is called by mountOverlay when asked, and not by default under Vitest', () => {
    document.body.innerHTML = '<div id="app"></div>'
    const WS = fakeWebSocketClass()
    const timers = manualTimers()
    const socketOptions = { WebSocket: WS, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout }
    const off = fakeWindow()
    mounted = mountOverlay(AlertBox, { win: off.win, socketOptions })
    expect(off.win.navigator.serviceWorker.register).not.toHaveBeenCalled()
    mounted.socket.stop()
    mounted.app.unmount()

    document.body.innerHTML = '<div id="app"></div>'
    const on = fakeWindow()
    mounted = mountOverlay(AlertBox, { win: on.win, socketOptions, serviceWorker: true })
    expect(on.win.navigator.serviceWorker.register).toHaveBeenCalledWith('/overlay/sw.js', { scope: '/overlay/' })
  })
})
