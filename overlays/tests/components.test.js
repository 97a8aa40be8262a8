import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import AlertBox from '../src/alert_box/AlertBox.vue'
import ChatBox from '../src/chat_box/ChatBox.vue'
import ConnectionDot from '../src/shared/ConnectionDot.vue'
import { event, USER } from './helpers.js'

const HOSTILE_NAME = '<img src=x onerror=alert(1)>'
const HOSTILE_TEXT = '<script>alert(1)</script><b>bold</b>'

function chat(text, fields = {}, user = 'Alice') {
  return event('chat_message', { text, fragments: [{ type: 'text', text }], bits: 0, ...fields }, user)
}

/** No element at all was created from user content: only our own elements are in the tree. */
function expectNoInjectedElements(wrapper) {
  const el = wrapper.element
  expect(el.querySelectorAll('script, b, iframe, svg, object')).toHaveLength(0)
  for (const img of el.querySelectorAll('img')) {
    expect(img.getAttribute('onerror')).toBeNull()
    expect(img.getAttribute('src')).toMatch(/^\/overlay\/emotes\//)
  }
}

describe('ChatBox', () => {
  it('renders hostile names and messages as text, creating no elements', async () => {
    const w = mount(ChatBox)
    const user = USER(HOSTILE_NAME, { color: 'red;background:url(x)' })
    w.vm.receive(chat(HOSTILE_TEXT, {}, user))
    w.vm.receive(
      event('chat_message', { text: HOSTILE_TEXT, fragments: [] }, USER('<script>x</script>')),
    )
    await nextTick()
    const rows = w.findAll('[data-testid="chat-message"]')
    expect(rows).toHaveLength(2)
    expect(rows[0].get('[data-testid="chat-name"]').text()).toBe(HOSTILE_NAME)
    expect(rows[0].get('[data-testid="chat-text"]').text()).toBe(HOSTILE_TEXT)
    expect(rows[1].get('[data-testid="chat-name"]').text()).toBe('<script>x</script>')
    expect(rows[1].get('[data-testid="chat-text"]').text()).toBe(HOSTILE_TEXT)
    expect(w.findAll('img')).toHaveLength(0)
    expectNoInjectedElements(w)
    // a colour that is not #rrggbb is replaced, not passed into the style
    expect(rows[0].get('[data-testid="chat-name"]').attributes('style')).not.toContain('url')
  })

  it('shows emotes as images only for safe ids, else as text', async () => {
    const w = mount(ChatBox)
    w.vm.receive(
      event('chat_message', {
        text: 'hi Kappa x LUL',
        fragments: [
          { type: 'text', text: 'hi ' },
          { type: 'emote', text: 'Kappa', emote_id: '25' },
          { type: 'text', text: ' ' },
          { type: 'emote', text: 'evil', emote_id: 'x" onerror="alert(1)' },
          { type: 'mention', text: ' @bob', user_login: 'bob' },
          { type: 'emote', text: ' LUL', emote_id: 'emotesv2_abc:dark-1' },
        ],
      }),
    )
    await nextTick()
    const imgs = w.findAll('img')
    expect(imgs.map((i) => i.attributes('src'))).toEqual([
      '/overlay/emotes/twitch/25',
      '/overlay/emotes/twitch/emotesv2_abc:dark-1',
    ])
    expect(imgs[0].attributes('alt')).toBe('Kappa')
    expect(w.get('[data-testid="chat-text"]').text()).toContain('evil @bob')
    expectNoInjectedElements(w)
  })

  it('falls back to the emote text when the image fails', async () => {
    const w = mount(ChatBox)
    w.vm.receive(
      event('chat_message', { text: 'Kappa', fragments: [{ type: 'emote', text: 'Kappa', emote_id: '25' }] }),
    )
    await nextTick()
    await w.get('img').trigger('error')
    expect(w.find('img').exists()).toBe(false)
    expect(w.get('[data-testid="chat-text"]').text()).toBe('Kappa')
  })

  it('shows platform, coloured name, and keeps the last max_messages', async () => {
    const w = mount(ChatBox, { props: { config: { max_messages: 3 } } })
    for (let i = 1; i <= 5; i++) {
      w.vm.receive(chat(`m${i}`, { id: `id${i}` }, USER('Bob', { color: '#1E90FF' })))
    }
    w.vm.receive(event('follow')) // not chat: ignored
    w.vm.receive(chat('dupe', { id: 'id5' })) // already seen: ignored
    await nextTick()
    const rows = w.findAll('[data-testid="chat-message"]')
    expect(rows.map((r) => r.attributes('data-event-id'))).toEqual(['id3', 'id4', 'id5'])
    expect(rows[0].get('[data-testid="chat-platform"]').text()).toBe('Twitch')
    expect(rows[0].get('[data-testid="chat-name"]').attributes('style')).toContain('color: rgb(30, 144, 255)')
    await w.setProps({ config: { max_messages: 1 } })
    expect(w.findAll('[data-testid="chat-message"]')).toHaveLength(1)
  })

  it('defaults to 50 messages', async () => {
    const w = mount(ChatBox)
    for (let i = 0; i < 60; i++) w.vm.receive(chat(`m${i}`))
    await nextTick()
    expect(w.findAll('[data-testid="chat-message"]')).toHaveLength(50)
  })
})

describe('AlertBox', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('renders a hostile name and message as text', async () => {
    const w = mount(AlertBox, { props: { config: { locale: 'en-US' } } })
    w.vm.receive(event('cheer', { bits: 100, message: HOSTILE_TEXT }, HOSTILE_NAME))
    await nextTick()
    expect(w.get('[data-testid="alert-headline"]').text()).toBe(`${HOSTILE_NAME} cheered 100 bits!`)
    expect(w.get('[data-testid="alert-message"]').text()).toBe(HOSTILE_TEXT)
    expect(w.findAll('img')).toHaveLength(0)
    expectNoInjectedElements(w)
  })

  it('shows one alert at a time, each for duration_ms, in order', async () => {
    const w = mount(AlertBox, { props: { config: { duration_ms: 3000, locale: 'en-US' } } })
    const a = event('follow', {}, 'Alice')
    const b = event('donation', { amount: { minor: 500, currency: 'USD' }, message: 'gg' }, 'Frank')
    w.vm.receive(a)
    w.vm.receive(b)
    w.vm.receive(event('chat_message', { text: 'hi' })) // not an alert
    w.vm.receive(a) // duplicate
    await nextTick()
    let alert = w.get('[data-testid="alert"]')
    expect(alert.attributes('data-event-id')).toBe(a.id)
    expect(alert.attributes('data-kind')).toBe('follow')
    expect(w.get('[data-testid="alert-headline"]').text()).toBe('Alice just followed!')
    expect(w.find('[data-testid="alert-message"]').exists()).toBe(false)

    vi.advanceTimersByTime(2999)
    await nextTick()
    expect(w.get('[data-testid="alert"]').attributes('data-event-id')).toBe(a.id)
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(w.find('[data-testid="alert"]').exists()).toBe(false)

    vi.advanceTimersByTime(1000)
    await nextTick()
    alert = w.get('[data-testid="alert"]')
    expect(alert.attributes('data-event-id')).toBe(b.id)
    expect(alert.attributes('data-kind')).toBe('donation')
    expect(w.get('[data-testid="alert-headline"]').text()).toBe('Frank donated $5.00!')
    expect(w.get('[data-testid="alert-message"]').text()).toBe('gg')

    vi.advanceTimersByTime(3000)
    await nextTick()
    expect(w.find('[data-testid="alert"]').exists()).toBe(false)
    expect(w.vm.queueLength()).toBe(0)
  })

  it('defaults to 5 seconds', async () => {
    const w = mount(AlertBox)
    w.vm.receive(event('raid', { viewers: 42 }, 'Eve'))
    await nextTick()
    vi.advanceTimersByTime(4999)
    await nextTick()
    expect(w.find('[data-testid="alert"]').exists()).toBe(true)
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(w.find('[data-testid="alert"]').exists()).toBe(false)
  })
})

describe('ConnectionDot', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('is absent while connected and appears only after 3 s disconnected', async () => {
    const w = mount(ConnectionDot, { props: { connected: true } })
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: false })
    vi.advanceTimersByTime(2900)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: true }) // a blip: never shown
    vi.advanceTimersByTime(5000)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: false })
    vi.advanceTimersByTime(3000)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(true)
    await w.setProps({ connected: true })
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
  })
})
