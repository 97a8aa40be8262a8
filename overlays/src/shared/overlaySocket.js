// The overlay page's WebSocket to the desktop app: subscribe, receive config and events, and
// reconnect forever (OBS keeps a browser source open for days; the app restarts under it).
//
// Plain JS with everything injectable (WebSocket constructor, timers, randomness, location), so
// the reconnect logic is unit-tested without a browser or a server.
//
// Envelopes are JSON {"type", "id", "data"} (docs/overlay-protocol.md, server/hub.py):
//   page → server: subscribe {"widget", "preview"?}, visibility {"visible"}
//   server → page: hello {"server_id", "widget", "widget_type", "preview"?}, config {"widget", "config"},
//                  event {"topic", "event"}, alert {"alert_id", "event", "settings", "variation"},
//                  alert_skip {"alert_id"}, error {"message"}, preview_end {…}
//
// A preview page (the app's settings editor opened it with `?preview={id}`) subscribes with that
// id and gets only what the editor sends it; when the preview ends it stops reconnecting.

export const BACKOFF_BASE_MS = 500
export const BACKOFF_CAP_MS = 10_000
// Each delay is drawn from [ (1 - JITTER) * d, d ] so that many sources reconnecting to a
// restarted app do not all knock at the same instant.
export const BACKOFF_JITTER = 0.5

/** The widget type from the page path: `/overlay/alert_box` → `alert_box` (also `alert_box.html`). */
export function widgetFromPath(pathname) {
  const segments = String(pathname || '').split('/').filter(Boolean)
  const last = segments.length ? segments[segments.length - 1] : ''
  let name = last
  try {
    name = decodeURIComponent(last)
  } catch {
    // a malformed %-escape: use the segment as it is
  }
  return name.replace(/\.html$/, '')
}

/** Where this page's socket connects, from the page's own location and `?token=`. */
export function overlaySocketUrl(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws'
  const token = new URLSearchParams(loc.search || '').get('token') || ''
  return `${scheme}://${loc.host}/overlay/ws?token=${encodeURIComponent(token)}`
}

/** The preview session id from the page's `?preview=`, or "" (a normal overlay page). */
export function previewFromLocation(loc) {
  try {
    return new URLSearchParams(loc?.search || '').get('preview') || ''
  } catch {
    return ''
  }
}

/** Delay before reconnect attempt number `attempt` (0-based): exponential, capped, jittered. */
export function backoffDelay(attempt, random = Math.random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS) {
  const exp = Math.min(cap, base * 2 ** Math.min(attempt, 30))
  return Math.round(exp * (1 - BACKOFF_JITTER * random()))
}

/** A fresh message id (randomUUID exists on 127.0.0.1, a secure context; fallback for others). */
export function newMessageId() {
  const uuid = globalThis.crypto?.randomUUID
  if (typeof uuid === 'function') return uuid.call(globalThis.crypto).replace(/-/g, '')
  let id = ''
  for (let i = 0; i < 8; i++) id += Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')
  return id
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Parse one frame into a valid envelope, or null. Never throws: a bad frame is dropped, not fatal.
 */
export function parseEnvelope(raw) {
  if (typeof raw !== 'string') return null
  let msg
  try {
    msg = JSON.parse(raw)
  } catch {
    return null
  }
  if (!isObject(msg) || typeof msg.type !== 'string') return null
  if (!isObject(msg.data)) return null
  return msg
}

/**
 * Create (but do not start) the socket client.
 *
 * options:
 *   location     the page location (protocol, host, pathname, search); default globalThis.location
 *   widget       widget type; default: last segment of location.pathname
 *   url          socket URL; default: built from location and its ?token=
 *   preview      preview session id; default: the location's ?preview= ("" for an overlay page)
 *   WebSocket    constructor; default globalThis.WebSocket
 *   setTimeout / clearTimeout / random (jitter) / newId (message ids)   injectable for tests
 *   onConfig(config, widget)      the widget's config (after every subscribe and on every change)
 *   onEvent(event, topic, id)     an event for one of the widget's topics
 *   onAlert(data, id)             alert box: show this alert now
 *   onAlertSkip(alertId)          alert box: hide that alert now
 *   onSubscribed()                right after each (re)subscribe was sent (send() works there)
 *   onStatus(connected: boolean)  on every change of connection state
 *   onHello(data), onServerError(message)   optional
 *   onPreviewEnd()                a preview page's session ended: the socket has stopped
 */
export function createOverlaySocket(options = {}) {
  const loc = options.location || globalThis.location
  const widget = options.widget || widgetFromPath(loc.pathname)
  const url = options.url || overlaySocketUrl(loc)
  const preview = options.preview ?? previewFromLocation(loc)
  const WS = options.WebSocket || globalThis.WebSocket
  const setTimer = options.setTimeout || globalThis.setTimeout.bind(globalThis)
  const clearTimer = options.clearTimeout || globalThis.clearTimeout.bind(globalThis)
  const random = options.random || Math.random
  const newId = options.newId || newMessageId
  const log = options.logger || globalThis.console

  let ws = null
  let attempt = 0
  let timer = null
  let stopped = true
  let connected = false
  let lastDelay = null

  // A throwing callback (a bug in a widget) must never kill the reconnect loop.
  function call(name, ...args) {
    const fn = options[name]
    if (typeof fn !== 'function') return
    try {
      fn(...args)
    } catch (err) {
      log?.error?.(`overlay socket: ${name} callback failed`, err)
    }
  }

  function setConnected(value) {
    if (connected === value) return
    connected = value
    call('onStatus', value)
  }

  function scheduleReconnect() {
    if (stopped || timer !== null) return
    lastDelay = backoffDelay(attempt, random)
    attempt += 1
    timer = setTimer(() => {
      timer = null
      open()
    }, lastDelay)
  }

  function handleMessage(raw) {
    const msg = parseEnvelope(raw)
    if (!msg) return
    const { data } = msg
    switch (msg.type) {
      case 'hello':
        call('onHello', data)
        break
      case 'config':
        if (data.widget !== undefined && data.widget !== widget) return
        if (!isObject(data.config)) return
        call('onConfig', data.config, widget)
        break
      case 'event':
        if (typeof data.topic !== 'string' || !isObject(data.event)) return
        if (typeof data.event.kind !== 'string') return
        call('onEvent', data.event, data.topic, msg.id)
        break
      case 'alert': {
        const alertId = data.alert_id
        if (typeof alertId !== 'string' && !Number.isFinite(alertId)) return
        if (!isObject(data.event) || typeof data.event.kind !== 'string') return
        if (data.settings !== undefined && !isObject(data.settings)) return
        call('onAlert', data, msg.id)
        break
      }
      case 'alert_skip':
        if (typeof data.alert_id !== 'string' && !Number.isFinite(data.alert_id)) return
        call('onAlertSkip', data.alert_id)
        break
      case 'error':
        call('onServerError', typeof data.message === 'string' ? data.message : '')
        break
      case 'preview_end':
        // Only a preview page gives up: an overlay in OBS reconnects forever.
        if (!preview) return
        api.stop()
        call('onPreviewEnd')
        break
      default:
        break // unknown types are for newer pages; ignore
    }
  }

  function open() {
    if (stopped) return
    let sock
    try {
      sock = new WS(url)
    } catch (err) {
      // e.g. a SecurityError for a bad URL: keep trying on the same schedule as a failed connect.
      log?.warn?.('overlay socket: could not create a WebSocket', err)
      scheduleReconnect()
      return
    }
    ws = sock
    // Handlers check `ws === sock` so a late callback from an abandoned socket does nothing.
    sock.onopen = () => {
      if (ws !== sock) return
      attempt = 0 // a successful open resets the backoff
      try {
        const data = preview ? { widget, preview } : { widget }
        sock.send(JSON.stringify({ type: 'subscribe', id: newId(), data }))
      } catch {
        // the socket died between open and send; onclose follows and reconnects
        return
      }
      setConnected(true)
      call('onSubscribed')
    }
    sock.onmessage = (ev) => {
      if (ws !== sock) return
      handleMessage(ev ? ev.data : undefined)
    }
    sock.onerror = () => {
      // Browsers always follow an error with close; reconnect there, once.
    }
    sock.onclose = () => {
      if (ws !== sock) return
      ws = null
      setConnected(false)
      scheduleReconnect()
    }
  }

  /** Send one frame now; false when not connected (frames are not queued: state is re-sent on subscribe). */
  function send(type, data) {
    const sock = ws
    if (!sock || !connected) return false
    try {
      sock.send(JSON.stringify({ type, id: newId(), data }))
      return true
    } catch {
      return false
    }
  }

  const api = {
    widget,
    url,
    preview,
    send,
    /** Connect (and keep reconnecting until stop()). */
    start() {
      if (!stopped) return
      stopped = false
      attempt = 0
      open()
    },
    /** Close for good: no more reconnects (page unload, component teardown, tests). */
    stop() {
      stopped = true
      if (timer !== null) {
        clearTimer(timer)
        timer = null
      }
      const sock = ws
      ws = null
      if (sock) {
        try {
          sock.close(1000, 'page closed')
        } catch {
          // already closed
        }
      }
      setConnected(false)
    },
    get connected() {
      return connected
    },
    /** The delay chosen for the pending (or most recent) reconnect, in ms; for tests and logs. */
    get lastDelay() {
      return lastDelay
    },
    get attempt() {
      return attempt
    },
  }
  return api
}
