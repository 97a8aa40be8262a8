import { describe, expect, it } from 'vitest'
import {
  badgeList,
  chatRow,
  chatSettings,
  DEFAULT_CHAT_SETTINGS,
  emoteSrc,
  isFiltered,
  messageParts,
  nameColor,
  noticeRow,
  paidRow,
  readableColor,
  SUPER_CHAT_TIERS,
  superChatColors,
} from '../src/chat_box/chat.js'
import { badgeIconKey, platformColor } from '../src/chat_box/icons.js'
import { event, USER } from './helpers.js'

describe('emotes', () => {
  it('builds URLs only for valid emote ids and known platforms', () => {
    expect(emoteSrc('twitch', '25', 'tok')).toBe('/overlay/emotes/twitch/25?token=tok')
    expect(emoteSrc('twitch', 'emotesv2_abc:dark-1', 'tok')).toBe('/overlay/emotes/twitch/emotesv2_abc:dark-1?token=tok')
    expect(emoteSrc('youtube', 'UCkszU2WH9gy1mb0dV-11UJg/xxxx')).toBeNull()
    for (const bad of ['', '../../secret', '25?x=1', '25#', '2 5', 'x" onerror="a', 'a'.repeat(101), 25, null]) {
      expect(emoteSrc('twitch', bad)).toBeNull()
    }
    expect(emoteSrc('evil.example', '25')).toBeNull()
    expect(emoteSrc('constructor', '25')).toBeNull()
    expect(emoteSrc('twitch', 'a'.repeat(100))).not.toBeNull()
  })

  it('turns fragments into text, emote, mention and cheer parts', () => {
    const e = event('chat_message', {
      text: '',
      fragments: [
        { type: 'text', text: 'hi ' },
        { type: 'emote', text: 'Kappa', emote_id: '25' },
        { type: 'emote', text: ' bad', emote_id: '../x' },
        { type: 'text', text: ' ' },
        { type: 'mention', text: '@bob', user_login: 'bob' },
        { type: 'cheermote', text: 'Cheer100', bits: 100 },
        { type: 'cheermote', text: 'Cheer0', bits: 0 },
        null,
        { type: 'text', text: 5 },
      ],
    })
    expect(messageParts(e, 't')).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'emote', text: 'Kappa', src: '/overlay/emotes/twitch/25?token=t' },
      { type: 'text', text: ' bad ' },
      { type: 'mention', text: '@bob' },
      { type: 'cheer', text: 'Cheer100', bits: 100, color: '#9c3ee8' },
      { type: 'text', text: 'Cheer0' },
    ])
    expect(messageParts(event('chat_message', { text: 'plain', fragments: [] }))).toEqual([
      { type: 'text', text: 'plain' },
    ])
  })
})

describe('badges and names', () => {
  it('maps known set ids to icons and the rest to text chips', () => {
    const user = USER('Mod', {
      badges: [
        { set_id: 'broadcaster', id: '1' },
        { set_id: 'moderator', id: '1' },
        { set_id: 'vip', id: '1' },
        { set_id: 'subscriber', id: '12' },
        { set_id: 'founder', id: '0' },
        { set_id: 'verified', id: '1' },
        { set_id: 'partner', id: '1' },
        { set_id: 'glhf-pledge', id: '1' },
        { set_id: 'moderator', id: '1' }, // duplicate
        { set_id: 42 },
        null,
      ],
    })
    expect(badgeList(user).map((b) => [b.setId, b.icon])).toEqual([
      ['broadcaster', 'broadcaster'],
      ['moderator', 'moderator'],
      ['vip', 'vip'],
      ['subscriber', 'subscriber'],
      ['founder', 'founder'],
      ['verified', 'verified'],
      ['partner', 'partner'],
      ['glhf-pledge', null],
    ])
    expect(badgeIconKey('owner')).toBe('broadcaster')
    expect(badgeIconKey('member')).toBe('subscriber')
    expect(badgeIconKey('__proto__')).toBeNull()
    expect(badgeIconKey('toString')).toBeNull()
  })

  it('uses user.color only when it is #rrggbb, else a stable palette colour', () => {
    expect(nameColor('#1E90FF', 'u1')).toBe('#1e90ff')
    const a = nameColor('red;background:url(x)', 'u1')
    expect(a).toMatch(/^#[0-9a-f]{6}$/)
    expect(nameColor(null, 'u1')).toBe(a)
  })

  it('lifts unreadable dark names on light text, and darkens light names on dark text', () => {
    expect(readableColor('#000000', '#ffffff')).not.toBe('#000000')
    expect(readableColor('#ff6b6b', '#ffffff')).toBe('#ff6b6b')
    expect(readableColor('#ffffff', '#111111')).not.toBe('#ffffff')
  })

  it('gives the platform theme the brand colours', () => {
    expect(['twitch', 'youtube', 'kick', 'facebook'].map(platformColor)).toEqual([
      '#9146ff',
      '#ff0000',
      '#53fc18',
      '#1877f2',
    ])
    expect(platformColor('nope')).toMatch(/^#[0-9a-f]{6}$/)
  })
})

describe('chatSettings', () => {
  it('uses defaults for missing and hostile values', () => {
    const s = chatSettings({
      theme: 'neon',
      font_family: 'Arial',
      font_size: 500,
      text_color: 'white',
      background_color: '#000; position:fixed',
      message_background: 'rgba(0,0,0,.5)',
      lifetime_s: -1,
      max_messages: 100000,
      message_delay_ms: 'soon',
      show_badges: 'no',
    })
    expect(s).toMatchObject({
      theme: DEFAULT_CHAT_SETTINGS.theme,
      font_family: DEFAULT_CHAT_SETTINGS.font_family,
      font_size: 64,
      text_color: DEFAULT_CHAT_SETTINGS.text_color,
      background_color: 'transparent',
      message_background: DEFAULT_CHAT_SETTINGS.message_background,
      lifetime_s: 0,
      max_messages: 200,
      message_delay_ms: 0,
      show_badges: true,
    })
    expect(chatSettings({ message_background: '#11223380' }).message_background).toBe('#11223380')
    expect(chatSettings(null).theme).toBe(DEFAULT_CHAT_SETTINGS.theme)
  })
})

describe('filters', () => {
  const row = (text, login = 'viewer') => chatRow(event('chat_message', { text, fragments: [] }, USER(login)), 1)
  const s = (config) => chatSettings(config)

  it('hides commands only when asked', () => {
    expect(isFiltered(row('!uptime'), s({ hide_commands: true }))).toBe(true)
    expect(isFiltered(row('  !so bob'), s({ hide_commands: true }))).toBe(true)
    expect(isFiltered(row('hi !uptime'), s({ hide_commands: true }))).toBe(false)
    expect(isFiltered(row('!uptime'), s({ hide_commands: false }))).toBe(false)
  })

  it('hides bots and muted users by login, case-insensitively', () => {
    const cfg = s({ hidden_bots: ['Nightbot'], muted_users: ['TROLL'] })
    expect(isFiltered(row('hello', 'NightBot'), cfg)).toBe(true)
    expect(isFiltered(row('hello', 'troll'), cfg)).toBe(true)
    expect(isFiltered(row('hello', 'Trolly'), cfg)).toBe(false)
  })
})

describe('paid messages', () => {
  const superChat = (fields) =>
    event('super_chat', { platform: 'youtube', amount: { minor: 500, currency: 'EUR' }, message: '', ...fields }, USER('Big Fan'))

  it("colours each tier as YouTube does, from blue to red; a missing or odd tier is tier 1", () => {
    expect(SUPER_CHAT_TIERS.map((t) => t.header)).toEqual([
      '#1565c0', // blue
      '#00b8d4', // light blue
      '#00bfa5', // green
      '#ffb300', // yellow
      '#e65100', // orange
      '#c2185b', // magenta
      '#d00000', // red
    ])
    expect(superChatColors(2)).toEqual({ header: '#00b8d4', body: '#00e5ff', text: '#000000' })
    expect(superChatColors(7)).toEqual({ header: '#d00000', body: '#e62117', text: '#ffffff' })
    expect(superChatColors(11)).toBe(superChatColors(7)) // the tiers above red stay red
    for (const odd of [undefined, null, 0, -3, 2.5, '3', NaN]) expect(superChatColors(odd)).toBe(SUPER_CHAT_TIERS[0])
  })

  it('turns a Super Chat into the amount as money, the comment as text and its colours', () => {
    const row = paidRow(superChat({ tier: 3, message: '<b>gg</b>' }), 7, 'en-US')
    expect(row).toMatchObject({
      key: 7,
      type: 'paid',
      name: 'Big Fan',
      amountText: '€5.00',
      sticker: false,
      colors: SUPER_CHAT_TIERS[2],
      parts: [{ type: 'text', text: '<b>gg</b>' }],
      text: '', // the command filter is for chat messages, not paid ones
    })
    expect(paidRow(superChat({ amount: { minor: 1000, currency: 'JPY' } }), 1, 'en-US')).toMatchObject({
      amountText: '¥1,000',
      parts: [], // no comment: the header alone
      colors: SUPER_CHAT_TIERS[0], // no tier given
    })
  })

  it("shows a Super Sticker's alt text", () => {
    const row = paidRow(superChat({ sticker_id: 'pizza_cat', message: 'Cat eating pizza', tier: 1 }), 1, 'en-US')
    expect(row).toMatchObject({ sticker: true, parts: [{ type: 'text', text: 'Cat eating pizza' }] })
  })
})

describe('notices', () => {
  it("draws the platform's sentence and the viewer's words", () => {
    const row = noticeRow(
      event('chat_notification', {
        notice_type: 'resub',
        system_message: 'Alice subscribed for 5 months!',
        text: 'hi Kappa',
        fragments: [
          { type: 'text', text: 'hi ' },
          { type: 'emote', text: 'Kappa', emote_id: '25' },
        ],
      }),
      3,
      't',
    )
    expect(row).toMatchObject({ type: 'notice', system: 'Alice subscribed for 5 months!' })
    expect(row.parts.map((p) => p.type)).toEqual(['text', 'emote'])
    const bare = noticeRow(event('chat_notification', { notice_type: 'pay_it_forward', system_message: '' }), 4)
    expect(bare.system).toBe('Alice: pay it forward')
  })

  it('takes the id of the notice it updates, so the chat box replaces that line', () => {
    const first = noticeRow(event('chat_notification', { id: 'LCC.g', notice_type: 'gift', system_message: 'Ann sent Rose' }), 1)
    const update = noticeRow(
      event('chat_notification', { id: 'LCC.g/x5', updates_id: 'LCC.g', notice_type: 'gift', system_message: 'Ann sent Rose x5' }),
      2,
    )
    expect([first.id, update.id]).toEqual(['LCC.g', 'LCC.g'])
  })
})

describe('paid and notice settings', () => {
  const paid = paidRow(event('super_chat', { amount: { minor: 100, currency: 'USD' }, message: '!so me' }), 1)
  const notice = noticeRow(event('chat_notification', { notice_type: 'raid', system_message: 'Bob is raiding' }), 2)

  it('shows paid messages and hides notices by default, as the app does', () => {
    expect(DEFAULT_CHAT_SETTINGS).toMatchObject({ show_paid_messages: true, show_notices: false })
    const s = chatSettings({})
    expect(isFiltered(paid, s)).toBe(false) // a paid "!…" comment is not a command
    expect(isFiltered(notice, s)).toBe(true)
  })

  it('follows the switches and ignores values that are not booleans', () => {
    const s = chatSettings({ show_paid_messages: false, show_notices: true })
    expect(isFiltered(paid, s)).toBe(true)
    expect(isFiltered(notice, s)).toBe(false)
    expect(chatSettings({ show_paid_messages: 'no', show_notices: 1 })).toMatchObject({
      show_paid_messages: true,
      show_notices: false,
    })
    // Muted users stay muted whatever they paid.
    expect(isFiltered(paid, chatSettings({ muted_users: ['alice'] }))).toBe(true)
  })
})
