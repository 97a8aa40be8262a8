// Mounts one widget's Vue app and wires it to the overlay socket.
//
// A widget component takes a `config` prop (the widget's config object, replaced whenever the
// streamer changes a setting) and a `token` prop (for media URLs), and exposes what it handles:
// `receive(event, topic)` for `event` frames, `showAlert(data)` / `skipAlert(alertId)` for the
// alert box. It knows nothing about sockets, so the same component can render previews in the app.

import { createApp, h, reactive, shallowRef } from 'vue'
import ConnectionDot from './ConnectionDot.vue'
import PreviewBadge from './PreviewBadge.vue'
import { pageToken } from './media.js'
import { createOverlaySocket, previewFromLocation } from './overlaySocket.js'
import './base.css'

/**
 * OBS's browser source defines `window.obsstudio` and fires `obsSourceVisibleChanged` on window
 * when the source is shown or hidden in the scene. The app uses that to hold alerts while no
 * overlay can be seen. Pages outside OBS (a normal browser, the app's preview) never send it.
 */
export function watchObsVisibility(win, socket) {
  const obs = win.obsstudio
  if (!obs || (typeof obs !== 'object' && typeof obs !== 'function')) return null
  let visible = null // unknown until OBS tells us
  const report = () => {
    if (visible !== null) socket.send('visibility', { visible })
  }
  win.addEventListener?.('obsSourceVisibleChanged', (ev) => {
    const v = ev?.detail?.visible
    if (typeof v !== 'boolean') return
    visible = v
    report()
  })
  return {
    /** After each (re)subscribe: the app forgets a page's state when the socket drops. */
    resend: report,
    get visible() {
      return visible
    },
  }
}

export const SERVICE_WORKER_URL = '/overlay/sw.js'
export const SERVICE_WORKER_SCOPE = '/overlay/'

/**
 * Register the overlays' service worker (public/sw.js): it keeps a copy of this page and its
 * assets, so an OBS source that loads while the app is not running still gets the page, which
 * then connects once the app is up. Only over http(s) (127.0.0.1 is a secure context); any
 * failure is ignored: the page works without it, just not before the app starts.
 *
 * A page that loaded before the worker controlled it (its first load ever) sends the worker its
 * own URL and resources, so that first load already leaves a usable copy.
 */
export function registerServiceWorker(win = window) {
  const sw = win.navigator?.serviceWorker
  const protocol = win.location?.protocol
  if (!sw || typeof sw.register !== 'function' || (protocol !== 'http:' && protocol !== 'https:')) {
    return null
  }
  const controlled = Boolean(sw.controller)
  let registered
  try {
    registered = Promise.resolve(sw.register(SERVICE_WORKER_URL, { scope: SERVICE_WORKER_SCOPE }))
  } catch {
    return null
  }
  return registered
    .then(async (registration) => {
      if (controlled) return registration
      const ready = await sw.ready
      const resources = win.performance?.getEntriesByType?.('resource') || []
      const urls = [win.location.href, ...resources.map((entry) => entry.name)]
      ready?.active?.postMessage?.({ type: 'store', urls })
      return registration
    })
    .catch(() => null)
}

export function mountOverlay(
  Widget,
  {
    selector = '#app',
    win = window,
    socketOptions = {},
    // Off under Vitest (mode "test"); tests that want it pass true.
    serviceWorker = import.meta.env.MODE !== 'test',
  } = {},
) {
  const state = reactive({ config: {}, connected: false, previewEnded: false })
  const token = pageToken(win.location)
  // A preview page (?preview=…) shows the app's draft settings and demo events; OBS never loads it.
  const preview = previewFromLocation(win.location)
  const widget = shallowRef(null)

  const Root = {
    name: 'OverlayRoot',
    setup() {
      return () => [
        h(Widget, { ref: widget, config: state.config, token }),
        preview
          ? h(PreviewBadge, { ended: state.previewEnded })
          : h(ConnectionDot, { connected: state.connected }),
      ]
    },
  }
  const app = createApp(Root)
  app.mount(selector)

  let visibility = null
  const socket = createOverlaySocket({
    location: win.location,
    WebSocket: win.WebSocket,
    ...socketOptions,
    onConfig(config) {
      state.config = config
    },
    onEvent(event, topic) {
      widget.value?.receive?.(event, topic)
    },
    onAlert(data) {
      widget.value?.showAlert?.(data)
    },
    onAlertSkip(alertId) {
      widget.value?.skipAlert?.(alertId)
    },
    onSubscribed() {
      visibility?.resend()
    },
    onStatus(connected) {
      state.connected = connected
    },
    onServerError(message) {
      win.console?.warn?.('overlay server:', message)
    },
    onPreviewEnd() {
      state.previewEnded = true
    },
  })
  visibility = watchObsVisibility(win, socket)
  socket.start()
  // A preview is a one-off page: nothing of it is worth keeping for offline starts.
  if (serviceWorker && !preview) registerServiceWorker(win)
  // Close cleanly when OBS unloads the page; resume if the page comes back from the bfcache.
  win.addEventListener?.('pagehide', () => socket.stop())
  win.addEventListener?.('pageshow', (ev) => {
    if (ev.persisted) socket.start()
  })
  return { app, socket, state, visibility }
}
