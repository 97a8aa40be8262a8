import { afterEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import ChatBox from '../src/chat_box/ChatBox.vue'
import { mountOverlay } from '../src/shared/mountOverlay.js'
import { event, fakeWebSocketClass, manualTimers } from './helpers.js'

describe('mountOverlay', () => {
  let mounted
  afterEach(() => {
    mounted?.socket.stop()
    mounted?.app.unmount()
    document.body.innerHTML = ''
  })

  it('wires socket config and events into the widget', async () => {
    document.body.innerHTML = '<div id="app"></div>'
    const WS = fakeWebSocketClass()
    const timers = manualTimers()
    mounted = mountOverlay(ChatBox, {
      socketOptions: {
        WebSocket: WS,
        widget: 'chat_box',
        setTimeout: timers.setTimeout,
        clearTimeout: timers.clearTimeout,
      },
    })
    const ws = WS.instances[0]
    ws.serverOpen()
    expect(JSON.parse(ws.sent[0]).data).toEqual({ widget: 'chat_box' })
    ws.serverSend({ type: 'config', id: 'c', data: { widget: 'chat_box', config: { max_messages: 2 } } })
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
})
