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
  readableColor,
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
