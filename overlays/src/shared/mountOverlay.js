// Mounts one widget's Vue app and wires it to the overlay socket.
//
// A widget component takes a `config` prop (the widget's config object, replaced whenever the
// streamer changes a setting) and exposes `receive(event, topic)`; it knows nothing about sockets,
// so the same component can later render previews in the app from fake data.

import { createApp, h, reactive, shallowRef } from 'vue'
import ConnectionDot from './ConnectionDot.vue'
import { createOverlaySocket } from './overlaySocket.js'
import './base.css'

export function mountOverlay(Widget, { selector = '#app', win = window, socketOptions = {} } = {}) {
  // OBS's browser source defines window.obsstudio (scene/visibility hooks). Nothing uses it yet;
  // read it defensively so pages keep working in a normal browser where it is absent.
  const obs = win.obsstudio && typeof win.obsstudio === 'object' ? win.obsstudio : null
  void obs

  const state = reactive({ config: {}, connected: false })
  const widget = shallowRef(null)

  const Root = {
    name: 'OverlayRoot',
    setup() {
      return () => [
        h(Widget, { ref: widget, config: state.config }),
        h(ConnectionDot, { connected: state.connected }),
      ]
    },
  }
  const app = createApp(Root)
  app.mount(selector)

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
    onStatus(connected) {
      state.connected = connected
    },
    onServerError(message) {
      win.console?.warn?.('overlay server:', message)
    },
  })
  socket.start()
  // Close cleanly when OBS unloads the page; resume if the page comes back from the bfcache.
  win.addEventListener?.('pagehide', () => socket.stop())
  win.addEventListener?.('pageshow', (ev) => {
    if (ev.persisted) socket.start()
  })
  return { app, socket, state }
}
