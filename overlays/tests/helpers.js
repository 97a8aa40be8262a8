// Test doubles for the overlay socket: a WebSocket the test drives by hand and a manual clock.

export function fakeWebSocketClass() {
  const instances = []
  class FakeWebSocket {
    constructor(url) {
      this.url = url
      this.sent = []
      this.closed = false
      this.onopen = null
      this.onmessage = null
      this.onclose = null
      this.onerror = null
      instances.push(this)
    }
    send(data) {
      if (this.closed) throw new Error('closed')
      this.sent.push(data)
    }
    close() {
      this.closed = true
    }
    // driven by the test:
    serverOpen() {
      this.onopen?.({})
    }
    serverSend(data) {
      this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) })
    }
    serverSendRaw(data) {
      this.onmessage?.({ data })
    }
    serverClose() {
      this.closed = true
      this.onerror?.({})
      this.onclose?.({ code: 1006 })
    }
  }
  FakeWebSocket.instances = instances
  return FakeWebSocket
}

export function manualTimers() {
  let next = 1
  const pending = new Map()
  return {
    setTimeout(fn, ms) {
      const id = next++
      pending.set(id, { fn, ms })
      return id
    },
    clearTimeout(id) {
      pending.delete(id)
    },
    /** The delays currently waiting. */
    delays() {
      return [...pending.values()].map((t) => t.ms)
    },
    /** Run every pending timer (each reconnect schedules at most one). */
    fire() {
      const due = [...pending.entries()]
      pending.clear()
      for (const [, t] of due) t.fn()
      return due.length
    },
    get size() {
      return pending.size
    },
  }
}

export const LOCATION = {
  protocol: 'http:',
  host: '127.0.0.1:7470',
  pathname: '/overlay/alert_box',
  search: '?token=s3cret-token',
}

const USER = (name, extra = {}) => ({
  id: `u-${name}`,
  login: name.toLowerCase(),
  display_name: name,
  color: null,
  badges: [],
  ...extra,
})

export function event(kind, fields = {}, user = 'Alice') {
  return {
    kind,
    platform: 'twitch',
    id: `${kind}-${Math.random().toString(16).slice(2)}`,
    at: '2025-01-01T00:00:00Z',
    test: false,
    user: user === null ? null : typeof user === 'string' ? USER(user) : user,
    ...fields,
  }
}

export { USER }
