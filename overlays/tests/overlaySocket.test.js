import { describe, expect, it, vi } from 'vitest'
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffDelay,
  createOverlaySocket,
  overlaySocketUrl,
  parseEnvelope,
  widgetFromPath,
} from '../src/shared/overlaySocket.js'
import { LOCATION, event, fakeWebSocketClass, manualTimers } from './helpers.js'

function setup(extra = {}) {
  const WS = fakeWebSocketClass()
  const timers = manualTimers()
  const calls = { config: [], events: [], status: [], hello: [], errors: [], alerts: [], skips: [], subscribed: [] }
  const socket = createOverlaySocket({
    location: LOCATION,
    WebSocket: WS,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    random: () => 0, // no jitter: delays are exactly the exponential schedule
    onConfig: (c, w) => calls.config.push([c, w]),
    onEvent: (e, topic, id) => calls.events.push([e, topic, id]),
    onStatus: (s) => calls.status.push(s),
    onHello: (d) => calls.hello.push(d),
    onAlert: (d, id) => calls.alerts.push([d, id]),
    onAlertSkip: (alertId) => calls.skips.push(alertId),
    onSubscribed: () => calls.subscribed.push(true),
    onServerError: (m) => calls.errors.push(m),
    logger: { error() {}, warn() {} },
    ...extra,
  })
  const last = () => WS.instances[WS.instances.length - 1]
  return { WS, timers, calls, socket, last }
}

/** Let the current socket fail and the reconnect timer fire; returns the delay that was used. */
function failOnce(ctx) {
  ctx.last().serverClose()
  const [delay] = ctx.timers.delays()
  ctx.timers.fire()
  return delay
}

describe('URL and widget', () => {
  it('builds ws:// from the page location and its token', () => {
    expect(overlaySocketUrl(LOCATION)).toBe('ws://127.0.0.1:7470/overlay/ws?token=s3cret-token')
  })

  it('uses wss:// on https pages and escapes the token', () => {
    const loc = { ...LOCATION, protocol: 'https:', search: '?token=a%2Bb&x=1' }
    expect(overlaySocketUrl(loc)).toBe('wss://127.0.0.1:7470/overlay/ws?token=a%2Bb')
  })

  it('takes the widget from the last path segment', () => {
    expect(widgetFromPath('/overlay/alert_box')).toBe('alert_box')
    expect(widgetFromPath('/overlay/chat_box/')).toBe('chat_box')
    expect(widgetFromPath('/overlay/chat_box.html')).toBe('chat_box')
    expect(widgetFromPath('/overlay/%E0%A4%A')).toBe('%E0%A4%A')
  })
})

describe('subscribe', () => {
  it('connects to the overlay socket and subscribes its widget on open', () => {
    const ctx = setup()
    ctx.socket.start()
    expect(ctx.WS.instances).toHaveLength(1)
    expect(ctx.last().url).toBe('ws://127.0.0.1:7470/overlay/ws?token=s3cret-token')
    ctx.last().serverOpen()
    expect(ctx.last().sent).toHaveLength(1)
    const msg = JSON.parse(ctx.last().sent[0])
    expect(msg.type).toBe('subscribe')
    expect(msg.data).toEqual({ widget: 'alert_box' })
    expect(typeof msg.id).toBe('string')
    expect(msg.id.length).toBeGreaterThan(0)
    expect(ctx.calls.status).toEqual([true])
  })

  it('a preview page subscribes with its preview id and stops for good when the preview ends', () => {
    const ended = []
    const ctx = setup({
      location: { ...LOCATION, search: '?token=s3cret-token&preview=p-123' },
      onPreviewEnd: () => ended.push(true),
    })
    expect(ctx.socket.preview).toBe('p-123')
    ctx.socket.start()
    ctx.last().serverOpen()
    expect(JSON.parse(ctx.last().sent[0]).data).toEqual({ widget: 'alert_box', preview: 'p-123' })
    ctx.last().serverSend({ type: 'preview_end', id: 'e', data: { message: 'this preview has ended' } })
    expect(ended).toEqual([true])
    expect(ctx.socket.connected).toBe(false)
    expect(ctx.timers.delays()).toEqual([]) // no reconnect
  })

  it('an overlay page ignores preview_end and keeps its connection', () => {
    const ended = []
    const ctx = setup({ onPreviewEnd: () => ended.push(true) })
    ctx.socket.start()
    ctx.last().serverOpen()
    ctx.last().serverSend({ type: 'preview_end', id: 'e', data: {} })
    expect(ended).toEqual([])
    expect(ctx.socket.connected).toBe(true)
  })

  it('delivers hello, config, events and errors to the callbacks', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    ctx.last().serverSend({ type: 'hello', id: 'h', data: { server_id: 'S1', widget: 'alert_box' } })
    ctx.last().serverSend({
      type: 'config',
      id: 'c',
      data: { widget: 'alert_box', config: { duration_ms: 3000 } },
    })
    const follow = event('follow')
    ctx.last().serverSend({ type: 'event', id: follow.id, data: { topic: 'alerts', event: follow } })
    ctx.last().serverSend({ type: 'error', id: 'e', data: { message: 'nope' } })
    expect(ctx.calls.hello).toEqual([{ server_id: 'S1', widget: 'alert_box' }])
    expect(ctx.calls.config).toEqual([[{ duration_ms: 3000 }, 'alert_box']])
    expect(ctx.calls.events).toEqual([[follow, 'alerts', follow.id]])
    expect(ctx.calls.errors).toEqual(['nope'])
  })

  it("ignores another widget's config", () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    ctx.last().serverSend({ type: 'config', id: 'c', data: { widget: 'chat_box', config: {} } })
    expect(ctx.calls.config).toEqual([])
  })
})

describe('alert frames', () => {
  it('delivers alert and alert_skip', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    const data = { alert_id: 'a1', event: event('follow'), settings: { duration_ms: 3000 }, variation: 'v' }
    ctx.last().serverSend({ type: 'alert', id: 'f1', data })
    ctx.last().serverSend({ type: 'alert_skip', id: 'f2', data: { alert_id: 'a1' } })
    expect(ctx.calls.alerts).toEqual([[data, 'f1']])
    expect(ctx.calls.skips).toEqual(['a1'])
  })

  it('drops malformed alert frames', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    const bad = [
      { type: 'alert', data: { event: event('follow') } },
      { type: 'alert', data: { alert_id: 'a', event: { no: 'kind' } } },
      { type: 'alert', data: { alert_id: 'a', event: event('follow'), settings: [1] } },
      { type: 'alert', data: { alert_id: { x: 1 }, event: event('follow') } },
      { type: 'alert_skip', data: {} },
      { type: 'alert_skip', data: { alert_id: null } },
    ]
    for (const msg of bad) ctx.last().serverSend(msg)
    expect(ctx.calls.alerts).toEqual([])
    expect(ctx.calls.skips).toEqual([])
  })
})

describe('sending', () => {
  it('sends frames only while connected, and calls onSubscribed after each subscribe', () => {
    const ctx = setup()
    ctx.socket.start()
    expect(ctx.socket.send('visibility', { visible: true })).toBe(false)
    ctx.last().serverOpen()
    expect(ctx.calls.subscribed).toHaveLength(1)
    expect(ctx.socket.send('visibility', { visible: true })).toBe(true)
    const msg = JSON.parse(ctx.last().sent[1])
    expect(msg).toEqual({ type: 'visibility', id: expect.any(String), data: { visible: true } })
    failOnce(ctx)
    expect(ctx.socket.send('visibility', { visible: false })).toBe(false)
    ctx.last().serverOpen()
    expect(ctx.calls.subscribed).toHaveLength(2)
  })
})

describe('malformed messages', () => {
  it('ignores anything that is not a valid envelope, without throwing', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    const bad = [
      'not json',
      '{"type":',
      'null',
      '42',
      '"event"',
      '[]',
      '{}',
      '{"type":"event"}',
      '{"type":"event","data":null}',
      '{"type":"event","data":"x"}',
      '{"type":"event","data":{"topic":"alerts","event":"x"}}',
      '{"type":"event","data":{"topic":"alerts","event":{"no_kind":1}}}',
      '{"type":"event","data":{"event":{"kind":"follow"}}}',
      '{"type":"config","data":{"widget":"alert_box","config":[1]}}',
      '{"type":"config","data":{"widget":"alert_box"}}',
      '{"type":7,"data":{}}',
      '{"type":"mystery","data":{}}',
    ]
    for (const raw of bad) expect(() => ctx.last().serverSend(raw)).not.toThrow()
    expect(() => ctx.last().serverSendRaw(new ArrayBuffer(4))).not.toThrow()
    expect(() => ctx.last().serverSendRaw(undefined)).not.toThrow()
    expect(() => ctx.last().onmessage(undefined)).not.toThrow()
    expect(ctx.calls.config).toEqual([])
    expect(ctx.calls.events).toEqual([])
    expect(ctx.calls.hello).toEqual([])
    // ...and the connection is still up and working
    ctx.last().serverSend({ type: 'config', id: 'c', data: { widget: 'alert_box', config: { a: 1 } } })
    expect(ctx.calls.config).toEqual([[{ a: 1 }, 'alert_box']])
    expect(ctx.socket.connected).toBe(true)
  })

  it('parseEnvelope returns null for junk', () => {
    expect(parseEnvelope('{"type":"hello","data":{}}')).toEqual({ type: 'hello', data: {} })
    expect(parseEnvelope('oops')).toBeNull()
    expect(parseEnvelope(null)).toBeNull()
  })

  it('survives a callback that throws', () => {
    const error = vi.fn()
    const ctx = setup({
      onEvent: () => {
        throw new Error('widget bug')
      },
      logger: { error, warn() {} },
    })
    ctx.socket.start()
    ctx.last().serverOpen()
    const f = event('follow')
    expect(() =>
      ctx.last().serverSend({ type: 'event', id: f.id, data: { topic: 'alerts', event: f } }),
    ).not.toThrow()
    expect(error).toHaveBeenCalled()
    expect(ctx.socket.connected).toBe(true)
  })
})

describe('reconnect with backoff', () => {
  it('grows exponentially from ~500 ms and is capped at 10 s', () => {
    const ctx = setup()
    ctx.socket.start()
    const delays = []
    for (let i = 0; i < 9; i++) delays.push(failOnce(ctx))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000])
    expect(ctx.WS.instances).toHaveLength(10) // it keeps trying
  })

  it('adds jitter but never exceeds the cap or drops below half the step', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)
      for (const r of [0, 0.25, 0.5, 0.999]) {
        const d = backoffDelay(attempt, () => r)
        expect(d).toBeLessThanOrEqual(step)
        expect(d).toBeGreaterThanOrEqual(step / 2)
      }
    }
    expect(backoffDelay(0, () => 0.5)).toBe(375)
    expect(backoffDelay(100, () => 0)).toBe(BACKOFF_CAP_MS)
  })

  it('resets the backoff after a successful open', () => {
    const ctx = setup()
    ctx.socket.start()
    expect([failOnce(ctx), failOnce(ctx), failOnce(ctx), failOnce(ctx)]).toEqual([
      500, 1000, 2000, 4000,
    ])
    ctx.last().serverOpen()
    expect(failOnce(ctx)).toBe(500)
    expect(failOnce(ctx)).toBe(1000)
  })

  it('re-subscribes and re-syncs config after every reconnect', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    ctx.last().serverSend({ type: 'config', id: '1', data: { widget: 'alert_box', config: { v: 1 } } })
    failOnce(ctx) // server restarted
    failOnce(ctx) // still down
    ctx.last().serverOpen()
    ctx.last().serverSend({ type: 'config', id: '2', data: { widget: 'alert_box', config: { v: 2 } } })

    const subscribes = ctx.WS.instances
      .flatMap((ws) => ws.sent)
      .map((raw) => JSON.parse(raw))
      .filter((m) => m.type === 'subscribe')
    expect(subscribes).toHaveLength(2)
    expect(subscribes.every((m) => m.data.widget === 'alert_box')).toBe(true)
    expect(subscribes[0].id).not.toBe(subscribes[1].id)
    expect(ctx.calls.config.map(([c]) => c)).toEqual([{ v: 1 }, { v: 2 }])
    expect(ctx.calls.status).toEqual([true, false, true])
  })

  it('schedules exactly one reconnect per failure', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverClose()
    expect(ctx.timers.size).toBe(1)
    // a late close/error from the abandoned socket must not schedule a second timer
    ctx.last().onclose?.({})
    ctx.last().onerror?.({})
    expect(ctx.timers.size).toBe(1)
  })

  it('keeps retrying when the WebSocket constructor throws', () => {
    let fail = true
    const Real = fakeWebSocketClass()
    const Flaky = function (url) {
      if (fail) throw new Error('SecurityError')
      return new Real(url)
    }
    const ctx = setup({ WebSocket: Flaky })
    ctx.socket.start()
    expect(ctx.timers.delays()).toEqual([500])
    ctx.timers.fire()
    expect(ctx.timers.delays()).toEqual([1000])
    fail = false
    ctx.timers.fire()
    expect(Real.instances).toHaveLength(1)
  })

  it('stop() closes the socket and cancels reconnects', () => {
    const ctx = setup()
    ctx.socket.start()
    ctx.last().serverOpen()
    ctx.socket.stop()
    expect(ctx.last().closed).toBe(true)
    ctx.last().serverClose()
    expect(ctx.timers.size).toBe(0)
    expect(ctx.calls.status).toEqual([true, false])
  })
})
