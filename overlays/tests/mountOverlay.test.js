import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import AlertBox from '../src/alert_box/AlertBox.vue'
import ChatBox from '../src/chat_box/ChatBox.vue'
import { mountOverlay } from '../src/shared/mountOverlay.js'
import { event, fakeWebSocketClass, manualTimers } from './helpers.js'

/** A window stand-in: real events (EventTarget), our own location, optionally OBS's object. */
function fakeWindow({ obs = false, pathname = '/overlay/alert_box', search = '?token=tok123' } = {}) {
  const win = new EventTarget()
  win.location = { protocol: 'http:', host: '127.0.0.1:7470', pathname, search }
  win.console = { warn() {} }
  if (obs) win.obsstudio = { pluginVersion: '2.24.0' }
  return win
}

function obsVisible(win, visible) {
  const ev = new Event('obsSourceVisibleChanged')
  ev.detail = { visible }
  win.dispatchEvent(ev)
}

describe('mountOverlay', () => {
  let mounted
  let WS
  let timers
  beforeEach(() => {
    document.body.innerHTML = '<div id="app"></div>'
    WS = fakeWebSocketClass()
    timers = manualTimers()
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => Promise.resolve())
  })
  afterEach(() => {
    mounted?.socket.stop()
    mounted?.app.unmount()
    mounted = null
    document.body.innerHTML = ''
  })

  function mountWith(Widget, win) {
    mounted = mountOverlay(Widget, {
      win,
      socketOptions: { WebSocket: WS, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout },
    })
    return WS.instances[WS.instances.length - 1]
  }
  const sent = (ws) => ws.sent.map((raw) => JSON.parse(raw))

  it('wires socket config and chat events into the chat box', async () => {
    const ws = mountWith(ChatBox, fakeWindow({ pathname: '/overlay/chat_box-2f9c1a' }))
    ws.serverOpen()
    expect(sent(ws)[0].data).toEqual({ widget: 'chat_box-2f9c1a' })
    ws.serverSend({ type: 'config', id: 'c', data: { widget: 'chat_box-2f9c1a', config: { max_messages: 2 } } })
    for (const text of ['one', 'two', 'three']) {
      const e = event('chat_message', { text, fragments: [{ type: 'text', text }] }, 'Bob')
      ws.serverSend({ type: 'event', id: e.id, data: { topic: 'chat', event: e } })
    }
    await nextTick()
    const texts = [...document.querySelectorAll('[data-testid="chat-text"]')].map((n) => n.textContent)
    expect(texts).toEqual(['two', 'three'])
    expect(mounted.state.connected).toBe(true)
    ws.serverClose()
    expect(mounted.state.connected).toBe(false)
    expect(timers.delays()).toHaveLength(1)
  })

  it('shows alert frames, skips them, and passes the page token to media URLs', async () => {
    const ws = mountWith(AlertBox, fakeWindow())
    ws.serverOpen()
    const e = event('follow', {}, 'Alice')
    ws.serverSend({
      type: 'alert',
      id: 'x',
      data: { alert_id: 'a1', event: e, settings: { image: 'builtin/follow.svg', hide_animation: 'none' }, variation: null },
    })
    await nextTick()
    const alert = document.querySelector('[data-testid="alert"]')
    expect(alert.getAttribute('data-alert-id')).toBe('a1')
    expect(document.querySelector('[data-testid="alert-image"]').getAttribute('src')).toBe(
      '/overlay/media/builtin/follow.svg?token=tok123',
    )
    ws.serverSend({ type: 'alert_skip', id: 'y', data: { alert_id: 'a1' } })
    await nextTick()
    expect(document.querySelector('[data-testid="alert"]')).toBeNull()
  })

  it('a preview page says it is a preview, and says so again when the preview ends', async () => {
    const ws = mountWith(AlertBox, fakeWindow({ search: '?token=tok123&preview=p1' }))
    ws.serverOpen()
    expect(sent(ws)[0].data).toEqual({ widget: 'alert_box', preview: 'p1' })
    await nextTick()
    const badge = () => document.querySelector('[data-testid="preview-badge"]')
    expect(badge().textContent).toContain('OBS does not show this')
    expect(document.querySelector('[data-testid="connection-dot"]')).toBeNull()
    ws.serverSend({ type: 'preview_end', id: 'e', data: {} })
    await nextTick()
    expect(badge().textContent).toContain('This preview has ended')
    expect(mounted.state.connected).toBe(false)
    expect(timers.delays()).toEqual([])
  })

  it('an overlay page has no preview badge', async () => {
    const ws = mountWith(AlertBox, fakeWindow())
    ws.serverOpen()
    await nextTick()
    expect(document.querySelector('[data-testid="preview-badge"]')).toBeNull()
  })

  it('reports OBS source visibility, and again after each re-subscribe', () => {
    const win = fakeWindow({ obs: true })
    const ws = mountWith(AlertBox, win)
    ws.serverOpen()
    expect(sent(ws).map((m) => m.type)).toEqual(['subscribe']) // state unknown yet: nothing sent
    obsVisible(win, false)
    obsVisible(win, true)
    obsVisible(win, 'yes') // not a boolean: ignored
    expect(sent(ws).slice(1)).toEqual([
      { type: 'visibility', id: expect.any(String), data: { visible: false } },
      { type: 'visibility', id: expect.any(String), data: { visible: true } },
    ])
    // hidden while disconnected: nothing can be sent; the state goes out after the re-subscribe
    ws.serverClose()
    obsVisible(win, false)
    timers.fire()
    const ws2 = WS.instances[WS.instances.length - 1]
    expect(ws2).not.toBe(ws)
    ws2.serverOpen()
    expect(sent(ws2).map((m) => [m.type, m.data])).toEqual([
      ['subscribe', { widget: 'alert_box' }],
      ['visibility', { visible: false }],
    ])
  })

  it('never sends visibility outside OBS', () => {
    const win = fakeWindow({ obs: false })
    const ws = mountWith(AlertBox, win)
    ws.serverOpen()
    obsVisible(win, false)
    obsVisible(win, true)
    expect(sent(ws).map((m) => m.type)).toEqual(['subscribe'])
    expect(mounted.visibility).toBeNull()
  })
})
