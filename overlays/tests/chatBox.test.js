import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import ChatBox from '../src/chat_box/ChatBox.vue'
import { event, USER } from './helpers.js'

const HOSTILE_NAME = '<img src=x onerror=alert(1)>'
const HOSTILE_TEXT = '<script>alert(1)</script><b>bold</b>'

let n = 0
function chat(text, user = 'Alice', fields = {}) {
  n += 1
  return event(
    'chat_message',
    { id: `m${n}`, text, fragments: [{ type: 'text', text }], bits: 0, ...fields },
    typeof user === 'string' ? USER(user) : user,
  )
}

const rows = (w) => w.findAll('[data-testid="chat-message"]')
const texts = (w) => rows(w).map((r) => r.get('[data-testid="chat-text"]').text())

/** Only our own elements exist: nothing was created from user content. */
function expectNoInjectedElements(w) {
  const el = w.element
  expect(el.querySelectorAll('script, b, iframe, object')).toHaveLength(0)
  for (const img of el.querySelectorAll('img')) {
    expect(img.getAttribute('onerror')).toBeNull()
    expect(img.getAttribute('src')).toMatch(/^\/overlay\/emotes\/[a-z]+\/[A-Za-z0-9_:-]+\?token=/)
  }
  for (const svg of el.querySelectorAll('svg')) {
    expect(svg.closest('.chat-platform-icon, .chat-badge, .chat-bits')).not.toBeNull()
  }
}

describe('ChatBox rendering', () => {
  it('renders hostile names and messages as text, creating no elements', async () => {
    const w = mount(ChatBox)
    const user = USER(HOSTILE_NAME, { color: 'red;background:url(x)', badges: [{ set_id: HOSTILE_NAME }] })
    w.vm.receive(chat(HOSTILE_TEXT, user))
    w.vm.receive(event('chat_message', { id: 'x1', text: HOSTILE_TEXT, fragments: [] }, USER('<script>x</script>')))
    await nextTick()
    expect(rows(w)).toHaveLength(2)
    expect(rows(w)[0].get('[data-testid="chat-name"]').text()).toBe(HOSTILE_NAME)
    expect(texts(w)).toEqual([HOSTILE_TEXT, HOSTILE_TEXT])
    expect(rows(w)[1].get('[data-testid="chat-name"]').text()).toBe('<script>x</script>')
    expect(w.get('.chat-badge--text').text()).toBe(HOSTILE_NAME.slice(0, 32).replace(/[_-]+/g, ' '))
    expect(rows(w)[0].get('[data-testid="chat-name"]').attributes('style')).not.toContain('url')
    expectNoInjectedElements(w)
  })

  it('shows emotes as images only for valid ids, with the token, else as text', async () => {
    const w = mount(ChatBox, { props: { token: 's3cret' } })
    w.vm.receive(
      chat('', 'Alice', {
        fragments: [
          { type: 'text', text: 'hi ' },
          { type: 'emote', text: 'Kappa', emote_id: '25' },
          { type: 'text', text: ' ' },
          { type: 'emote', text: 'evil', emote_id: 'x" onerror="alert(1)' },
          { type: 'emote', text: ' LUL', emote_id: 'emotesv2_abc:dark-1' },
        ],
      }),
    )
    await nextTick()
    const imgs = w.findAll('[data-testid="chat-emote"]')
    expect(imgs.map((i) => i.attributes('src'))).toEqual([
      '/overlay/emotes/twitch/25?token=s3cret',
      '/overlay/emotes/twitch/emotesv2_abc:dark-1?token=s3cret',
    ])
    expect(imgs[0].attributes('alt')).toBe('Kappa')
    expect(w.get('[data-testid="chat-text"]').text()).toContain('evil')
    expectNoInjectedElements(w)
  })

  it('falls back to the emote text when the image fails', async () => {
    const w = mount(ChatBox)
    w.vm.receive(chat('', 'Alice', { fragments: [{ type: 'emote', text: 'Kappa', emote_id: '25' }] }))
    await nextTick()
    await w.get('img').trigger('error')
    expect(w.find('img').exists()).toBe(false)
    expect(w.get('[data-testid="chat-text"]').text()).toBe('Kappa')
  })

  it('highlights mentions when highlight_mentions, plain text otherwise, live', async () => {
    const w = mount(ChatBox, { props: { config: { highlight_mentions: true } } })
    w.vm.receive(chat('', 'Alice', { fragments: [{ type: 'text', text: 'hey ' }, { type: 'mention', text: '@Bob' }] }))
    await nextTick()
    expect(w.get('[data-testid="chat-mention"]').text()).toBe('@Bob')
    await w.setProps({ config: { highlight_mentions: false } })
    expect(w.find('[data-testid="chat-mention"]').exists()).toBe(false)
    expect(w.get('[data-testid="chat-text"]').text()).toBe('hey @Bob')
  })

  it('shows cheermotes as text with a bits chip', async () => {
    const w = mount(ChatBox)
    w.vm.receive(chat('', 'Alice', { bits: 100, fragments: [{ type: 'cheermote', text: 'Cheer100', bits: 100 }, { type: 'text', text: ' gg' }] }))
    await nextTick()
    expect(w.get('[data-testid="chat-text"]').text()).toContain('Cheer100')
    expect(w.get('[data-testid="chat-bits"]').text()).toBe('100')
  })

  it('shows platform icons, badges and coloured names, and toggles them live', async () => {
    const w = mount(ChatBox, { props: { config: { theme: 'platform' } } })
    const user = USER('Bob', { color: '#1E90FF', badges: [{ set_id: 'moderator', id: '1' }, { set_id: 'glitchcon2020', id: '1' }] })
    w.vm.receive(chat('hi', user))
    for (const platform of ['youtube', 'kick', 'facebook']) w.vm.receive({ ...chat('yo', 'Cat'), platform })
    await nextTick()
    expect(w.findAll('[data-testid="chat-platform-icon"]').map((i) => i.attributes('data-platform'))).toEqual([
      'twitch',
      'youtube',
      'kick',
      'facebook',
    ])
    expect(w.findAll('[data-testid="chat-platform-icon"] svg')).toHaveLength(4)
    const badges = rows(w)[0].findAll('[data-testid="chat-badge"]')
    expect(badges.map((b) => b.attributes('data-badge'))).toEqual(['moderator', 'glitchcon2020'])
    expect(badges[0].find('svg').exists()).toBe(true)
    expect(badges[1].text()).toBe('glitchcon2020')
    expect(rows(w)[0].get('[data-testid="chat-name"]').attributes('style')).toContain('color: rgb(30, 144, 255)')
    expect(rows(w)[2].attributes('style')).toContain('--platform-color: #53fc18')

    await w.setProps({ config: { theme: 'clean', show_badges: false, show_platform_icons: false, font_family: 'Bangers', font_size: 30 } })
    expect(w.find('[data-testid="chat-badge"]').exists()).toBe(false)
    expect(w.find('[data-testid="chat-platform-icon"]').exists()).toBe(false)
    expect(w.get('.chat').classes()).toContain('chat--clean')
    expect(w.get('.chat').attributes('style')).toMatch(/font-family: "Bangers".*font-size: 30px/)
  })

  it('applies colours from a valid config and ignores hostile ones', async () => {
    const w = mount(ChatBox, {
      props: { config: { theme: 'boxed', text_color: '#EEEEEE', background_color: '#102030', message_background: '#00000080' } },
    })
    const style = () => w.get('.chat').attributes('style')
    expect(style()).toContain('color: rgb(238, 238, 238)')
    expect(style()).toContain('background-color: rgb(16, 32, 48)')
    expect(style()).toContain('--chat-message-bg: #00000080')
    await w.setProps({
      config: {
        theme: '}{',
        text_color: 'red;position:absolute',
        background_color: 'url(https://evil.example/x.png)',
        message_background: '#000000ff; display:none',
        font_family: "x'; } * { display:none } {",
        font_size: -3,
      },
    })
    expect(w.get('.chat').classes()).toContain('chat--boxed')
    expect(style()).not.toMatch(/evil|display|absolute|red/)
    expect(style()).toContain('font-size: 10px')
    expect(style()).toContain('background-color: transparent')
  })

  it('applies the default filters without a config (commands, well-known bots)', async () => {
    const w = mount(ChatBox)
    w.vm.receive(chat('!uptime'))
    w.vm.receive(chat('Follow on socials!', USER('StreamElements')))
    w.vm.receive(chat('hi'))
    await nextTick()
    expect(texts(w)).toEqual(['hi'])
  })

  it('keeps the last max_messages (20 by default), live', async () => {
    const d = mount(ChatBox)
    for (let i = 0; i < 30; i++) d.vm.receive(chat(`m${i}`))
    await nextTick()
    expect(rows(d)).toHaveLength(20)

    const w = mount(ChatBox, { props: { config: { max_messages: 3 } } })
    for (let i = 1; i <= 5; i++) w.vm.receive(chat(`m${i}`))
    w.vm.receive(event('follow')) // not chat: ignored
    await nextTick()
    expect(texts(w)).toEqual(['m3', 'm4', 'm5'])
    await w.setProps({ config: { max_messages: 1 } })
    expect(texts(w)).toEqual(['m5'])
  })

  it('shows a message delivered twice once', async () => {
    const w = mount(ChatBox)
    const m = chat('once')
    w.vm.receive(m)
    w.vm.receive({ ...m })
    await nextTick()
    expect(rows(w)).toHaveLength(1)
  })
})

describe('ChatBox filters', () => {
  it('hides commands, bots and muted users (case-insensitive logins)', async () => {
    const w = mount(ChatBox, {
      props: { config: { hide_commands: true, hidden_bots: ['NightBot'], muted_users: ['troll'] } },
    })
    w.vm.receive(chat('!uptime'))
    w.vm.receive(chat('hello'))
    w.vm.receive(chat('bot says hi', USER('Nightbot')))
    w.vm.receive(chat('bad words', USER('TROLL')))
    w.vm.receive(chat('I am not a !command'))
    await nextTick()
    expect(texts(w)).toEqual(['hello', 'I am not a !command'])
  })

  it('muting a user later removes their messages on screen', async () => {
    const w = mount(ChatBox, { props: { config: { hide_commands: false } } })
    w.vm.receive(chat('one', USER('Troll')))
    w.vm.receive(chat('two', USER('Nice')))
    w.vm.receive(chat('!cmd', USER('Nice')))
    await nextTick()
    expect(texts(w)).toEqual(['one', 'two', '!cmd'])
    await w.setProps({ config: { muted_users: ['troll'], hide_commands: true } })
    expect(texts(w)).toEqual(['two'])
  })
})

describe('ChatBox timing and moderation', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('holds messages for message_delay_ms, then shows them', async () => {
    const w = mount(ChatBox, { props: { config: { message_delay_ms: 5000 } } })
    w.vm.receive(chat('held'))
    await nextTick()
    expect(rows(w)).toHaveLength(0)
    expect(w.vm.pendingCount()).toBe(1)
    vi.advanceTimersByTime(4999)
    await nextTick()
    expect(rows(w)).toHaveLength(0)
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(texts(w)).toEqual(['held'])
  })

  it('never shows a message deleted, banned or cleared during the hold', async () => {
    const w = mount(ChatBox, { props: { config: { message_delay_ms: 3000 } } })
    const a = chat('deleted soon', 'Alice')
    const b = chat('banned soon', 'Troll')
    const b2 = chat('banned too', 'Troll')
    const c = chat('survives', 'Carl')
    for (const m of [a, b, b2, c]) w.vm.receive(m)
    w.vm.receive(event('chat_message_deleted', { message_id: a.id }, null))
    w.vm.receive(event('chat_user_banned', { duration_s: 600 }, USER('Troll')))
    vi.advanceTimersByTime(3000)
    await nextTick()
    expect(texts(w)).toEqual(['survives'])

    w.vm.receive(chat('cleared before shown'))
    w.vm.receive(event('chat_cleared', {}, null))
    vi.advanceTimersByTime(3000)
    await nextTick()
    expect(rows(w)).toHaveLength(0)
    expect(w.vm.pendingCount()).toBe(0)
  })

  it('removes shown messages on delete, ban (all of that user) and clear', async () => {
    const w = mount(ChatBox)
    const a = chat('a1', 'Alice')
    w.vm.receive(a)
    w.vm.receive(chat('t1', 'Troll'))
    w.vm.receive(chat('b1', 'Bob'))
    w.vm.receive(chat('t2', 'Troll'))
    await nextTick()
    w.vm.receive(event('chat_message_deleted', { message_id: a.id }, null))
    await nextTick()
    expect(texts(w)).toEqual(['t1', 'b1', 't2'])
    w.vm.receive(event('chat_user_banned', {}, USER('Troll')))
    await nextTick()
    expect(texts(w)).toEqual(['b1'])
    expect(rows(w)[0].attributes('data-user-id')).toBe('u-Bob')
    // a deletion on another platform with the same id leaves this one alone
    w.vm.receive({ ...event('chat_message_deleted', { message_id: rows(w)[0].attributes('data-event-id') }, null), platform: 'kick' })
    await nextTick()
    expect(rows(w)).toHaveLength(1)
    w.vm.receive(event('chat_cleared', {}, null))
    await nextTick()
    expect(rows(w)).toHaveLength(0)
  })

  it('fades messages out after lifetime_s and keeps them with 0', async () => {
    const w = mount(ChatBox, { props: { config: { lifetime_s: 10 } } })
    w.vm.receive(chat('first'))
    vi.advanceTimersByTime(4000)
    w.vm.receive(chat('second'))
    await nextTick()
    vi.advanceTimersByTime(6000)
    await nextTick()
    expect(rows(w)[0].classes()).toContain('chat-message--fading')
    expect(rows(w)[1].classes()).not.toContain('chat-message--fading')
    vi.advanceTimersByTime(600)
    await nextTick()
    expect(texts(w)).toEqual(['second'])
    vi.advanceTimersByTime(4000)
    await nextTick()
    expect(rows(w)).toHaveLength(0)

    await w.setProps({ config: { lifetime_s: 0 } })
    w.vm.receive(chat('forever'))
    vi.advanceTimersByTime(3_600_000)
    await nextTick()
    expect(texts(w)).toEqual(['forever'])
  })

  it('re-times messages on screen when lifetime_s changes', async () => {
    const w = mount(ChatBox)
    w.vm.receive(chat('old'))
    vi.advanceTimersByTime(20_000)
    w.vm.receive(chat('new'))
    await nextTick()
    await w.setProps({ config: { lifetime_s: 15 } })
    await nextTick()
    expect(rows(w)[0].classes()).toContain('chat-message--fading') // 20 s old: past its lifetime
    vi.advanceTimersByTime(600)
    await nextTick()
    expect(texts(w)).toEqual(['new'])
    vi.advanceTimersByTime(15_000)
    await nextTick()
    vi.advanceTimersByTime(600)
    await nextTick()
    expect(rows(w)).toHaveLength(0)
  })
})

function superChat(fields = {}, user = 'Big Fan') {
  n += 1
  return event(
    'super_chat',
    { id: `sc${n}`, platform: 'youtube', amount: { minor: 500, currency: 'EUR' }, message: '', tier: 2, ...fields },
    typeof user === 'string' ? USER(user) : user,
  )
}

function gift(combo, fields = {}) {
  const words = `Jewel Fan sent Rose${combo > 1 ? ` x${combo}` : ''}`
  return event(
    'chat_notification',
    {
      id: combo > 1 ? `LCC.gift/x${combo}` : 'LCC.gift',
      updates_id: combo > 1 ? 'LCC.gift' : null,
      platform: 'youtube',
      notice_type: 'gift',
      system_message: words,
      ...fields,
    },
    USER('Jewel Fan'),
  )
}

const notices = (w) => w.findAll('[data-testid="chat-notice"]').map((x) => x.text())

describe('ChatBox paid messages', () => {
  it("draws a Super Chat as a card in its tier's colours with the amount and the comment", async () => {
    const w = mount(ChatBox)
    w.vm.receive(chat('before'))
    w.vm.receive(superChat({ message: HOSTILE_TEXT, tier: 4 }, USER(HOSTILE_NAME)))
    w.vm.receive(superChat({ tier: 7, amount: { minor: 10000, currency: 'USD' } }))
    await nextTick()
    const [message, card, red] = rows(w)
    expect(message.attributes('data-kind')).toBe('message')
    expect(card.attributes('data-kind')).toBe('paid')
    expect(card.classes()).toContain('chat-message--paid')
    const style = card.attributes('style')
    expect(style).toContain('--paid-header: #ffb300')
    expect(style).toContain('--paid-body: #ffca28')
    expect(card.get('[data-testid="chat-name"]').text()).toBe(HOSTILE_NAME)
    expect(card.get('[data-testid="chat-paid-amount"]').text()).toMatch(/5[.,]00/)
    expect(card.get('[data-testid="chat-text"]').text()).toBe(HOSTILE_TEXT)
    expect(card.find('.chat-colon').exists()).toBe(false)
    expect(card.find('[data-testid="chat-paid-sticker"]').exists()).toBe(false)
    // No comment: the header alone, as YouTube draws a Super Chat without a message.
    expect(red.attributes('style')).toContain('--paid-header: #d00000')
    expect(red.find('[data-testid="chat-text"]').exists()).toBe(false)
    expectNoInjectedElements(w)
  })

  it('marks a Super Sticker and shows its alt text', async () => {
    const w = mount(ChatBox)
    w.vm.receive(superChat({ sticker_id: 'pizza_cat', message: 'Cat eating pizza', tier: 1 }))
    await nextTick()
    const card = rows(w)[0]
    expect(card.attributes('data-sticker')).toBe('')
    expect(card.get('[data-testid="chat-paid-sticker"]').text()).toBe('Sticker')
    expect(card.get('[data-testid="chat-text"]').text()).toBe('Cat eating pizza')
    expect(card.attributes('style')).toContain('--paid-header: #1565c0')
  })

  it('hides paid messages when show_paid_messages is off, live', async () => {
    const w = mount(ChatBox)
    w.vm.receive(superChat({ message: 'shown' }))
    w.vm.receive(chat('chat stays'))
    await nextTick()
    expect(rows(w)).toHaveLength(2)
    await w.setProps({ config: { show_paid_messages: false } })
    expect(texts(w)).toEqual(['chat stays'])
    w.vm.receive(superChat({ message: 'not shown' }))
    await nextTick()
    expect(texts(w)).toEqual(['chat stays'])
  })

  it('removes a paid message on delete and ban, like a chat message', async () => {
    const w = mount(ChatBox)
    const sc = superChat({ message: 'bye' })
    w.vm.receive(sc)
    w.vm.receive(superChat({ message: 'troll' }, USER('Troll')))
    await nextTick()
    w.vm.receive({ ...event('chat_message_deleted', { message_id: sc.id }, null), platform: 'youtube' })
    await nextTick()
    expect(texts(w)).toEqual(['troll'])
    w.vm.receive({ ...event('chat_user_banned', {}, USER('Troll')), platform: 'youtube' })
    await nextTick()
    expect(rows(w)).toHaveLength(0)
  })
})

describe('ChatBox notices', () => {
  it('leaves platform notices out unless show_notices is on', async () => {
    const w = mount(ChatBox)
    w.vm.receive(gift(1))
    await nextTick()
    expect(rows(w)).toHaveLength(0)

    const on = mount(ChatBox, { props: { config: { show_notices: true } } })
    on.vm.receive(
      event('chat_notification', {
        notice_type: 'resub',
        system_message: HOSTILE_TEXT,
        text: 'five months!',
        fragments: [{ type: 'text', text: 'five months!' }],
      }),
    )
    await nextTick()
    expect(rows(on)[0].attributes('data-kind')).toBe('notice')
    expect(notices(on)).toEqual([HOSTILE_TEXT])
    expect(texts(on)).toEqual(['five months!'])
    expectNoInjectedElements(on)
    await on.setProps({ config: { show_notices: false } })
    expect(rows(on)).toHaveLength(0)
  })

  it("updates a jewel gift's line as its combo count rises, in place, never a second line", async () => {
    const w = mount(ChatBox, { props: { config: { show_notices: true } } })
    w.vm.receive(gift(1))
    w.vm.receive(chat('in between'))
    await nextTick()
    const key = rows(w)[0].element
    for (const combo of [2, 3, 5]) w.vm.receive(gift(combo))
    w.vm.receive(gift(5)) // the same update again: nothing changes
    await nextTick()
    expect(rows(w)).toHaveLength(2)
    expect(notices(w)).toEqual(['Jewel Fan sent Rose x5'])
    expect(rows(w)[0].element).toBe(key) // the same line, where it was
    expect(rows(w)[0].attributes('data-event-id')).toBe('LCC.gift')
  })

  it('starts a line for an update whose first notice it never saw', async () => {
    const w = mount(ChatBox, { props: { config: { show_notices: true } } })
    w.vm.receive(gift(3))
    w.vm.receive(gift(4))
    await nextTick()
    expect(notices(w)).toEqual(['Jewel Fan sent Rose x4'])
  })
})

describe('ChatBox notices held for message_delay_ms', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('shows a combo update that came during the hold as the one line', async () => {
    const w = mount(ChatBox, { props: { config: { show_notices: true, message_delay_ms: 2000 } } })
    w.vm.receive(gift(1))
    vi.advanceTimersByTime(1000)
    w.vm.receive(gift(2))
    await nextTick()
    expect(w.vm.pendingCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    await nextTick()
    expect(notices(w)).toEqual(['Jewel Fan sent Rose x2'])
    vi.advanceTimersByTime(5000)
    await nextTick()
    expect(rows(w)).toHaveLength(1)
  })

  it('keeps an updated line on screen for a full lifetime from the update', async () => {
    const w = mount(ChatBox, { props: { config: { show_notices: true, lifetime_s: 10 } } })
    w.vm.receive(gift(1))
    vi.advanceTimersByTime(8000)
    w.vm.receive(gift(2))
    vi.advanceTimersByTime(8000)
    await nextTick()
    expect(notices(w)).toEqual(['Jewel Fan sent Rose x2'])
    expect(rows(w)[0].classes()).not.toContain('chat-message--fading')
    vi.advanceTimersByTime(2600)
    await nextTick()
    expect(rows(w)).toHaveLength(0)
  })
})
