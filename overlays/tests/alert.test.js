import { describe, expect, it } from 'vitest'
import {
  alertSettings,
  alertView,
  DEFAULT_SETTINGS,
  DEFAULT_TEMPLATES,
  eventAmount,
  fitMedia,
  mediaStyle,
  parseTemplate,
  placeholderCounts,
  placeholderValues,
  renderTemplate,
  shouldShowMessage,
  tierName,
} from '../src/alert_box/alert.js'
import { event } from './helpers.js'

const L = 'en-US'
const SHA = 'a'.repeat(64)

describe('parseTemplate', () => {
  it('splits text and known placeholders', () => {
    expect(parseTemplate('{name} gifted {count} subs!')).toEqual([
      { placeholder: 'name' },
      { text: ' gifted ' },
      { placeholder: 'count' },
      { text: ' subs!' },
    ])
  })

  it('knows every placeholder of the contract', () => {
    const all =
      '{name}{amount}{currency}{months}{count}{tier}{viewers}{message}{platform}{reward}{charity}{level}'
    expect(parseTemplate(all).map((p) => p.placeholder)).toEqual([
      'name', 'amount', 'currency', 'months', 'count', 'tier', 'viewers', 'message', 'platform', 'reward',
      'charity', 'level',
    ])
  })

  it('keeps unknown placeholders and stray braces as literal text', () => {
    expect(parseTemplate('{name} {foo} {Name} {} { name } {{amount}}')).toEqual([
      { placeholder: 'name' },
      { text: ' {foo} {Name} {} { name } {' },
      { placeholder: 'amount' },
      { text: '}' },
    ])
  })

  it('reads a countable placeholder with its noun in both forms', () => {
    expect(parseTemplate('{name} gifted {count:sub|subs}!')).toEqual([
      { placeholder: 'name' },
      { text: ' gifted ' },
      { placeholder: 'count', forms: ['sub', 'subs'] },
      { text: '!' },
    ])
    expect(parseTemplate('{months:month|months}{viewers:brave soul|brave souls}')).toEqual([
      { placeholder: 'months', forms: ['month', 'months'] },
      { placeholder: 'viewers', forms: ['brave soul', 'brave souls'] },
    ])
  })

  it('keeps forms on a placeholder that is not a count, or half-written forms, as text', () => {
    expect(parseTemplate('{name:a|b} {count:sub} {count:a|b|c} {nope:x|y}')).toEqual([
      { text: '{name:a|b} {count:sub} {count:a|b|c} {nope:x|y}' },
    ])
  })

  it('treats a missing or odd template as empty', () => {
    expect(parseTemplate(undefined)).toEqual([])
    expect(parseTemplate(42)).toEqual([])
    expect(parseTemplate('')).toEqual([])
  })
})

describe('tierName', () => {
  it.each([
    ['1000', 'Tier 1'],
    ['2000', 'Tier 2'],
    ['3000', 'Tier 3'],
    ['Prime', 'Prime'],
    ['prime', 'Prime'],
    [2000, 'Tier 2'],
    ['Gold', 'Gold'],
    ['', ''],
    [null, ''],
    ['constructor', 'constructor'],
  ])('%j → %j', (tier, name) => {
    expect(tierName(tier)).toBe(name)
  })
})

describe('placeholderValues', () => {
  it('fills every placeholder from the event', () => {
    const e = event('subscription', { tier: '2000', months: 14, message: ' love it ' }, 'Bob')
    const v = placeholderValues(e, {}, L)
    expect(v).toMatchObject({ name: 'Bob', months: '14', tier: 'Tier 2', message: 'love it', platform: 'Twitch' })
  })

  it('uses amount_text from the app, else formats the amount itself', () => {
    const d = event('donation', { amount: { minor: 1234, currency: 'eur' } }, 'Frank')
    expect(placeholderValues(d, { amount_text: '€12.34 (EUR)' }, L).amount).toBe('€12.34 (EUR)')
    expect(placeholderValues(d, {}, L).amount).toBe('€12.34')
    expect(placeholderValues(d, {}, L).currency).toBe('EUR')
    expect(placeholderValues(event('cheer', { bits: 2500 }), {}, L).amount).toBe('2,500 bits')
    expect(placeholderValues(event('cheer', { bits: 1 }), {}, L).amount).toBe('1 bit')
  })

  it('has count, viewers, reward, platform for their kinds', () => {
    expect(placeholderValues(event('gift_subscription', { count: 5, tier: 'Prime' }), {}, L)).toMatchObject({
      count: '5',
      tier: 'Prime',
    })
    expect(placeholderValues(event('raid', { viewers: 1200 }), {}, L).viewers).toBe('1,200')
    expect(placeholderValues(event('channel_point_redemption', { reward_title: 'Hydrate', user_input: 'now' }), {}, L))
      .toMatchObject({ reward: 'Hydrate', message: 'now' })
    expect(placeholderValues(event('membership', { level_name: 'Gold', gifted_count: 3 }), {}, L)).toMatchObject({
      tier: 'Gold',
      count: '3',
    })
    const platforms = ['twitch', 'youtube', 'kick', 'facebook', 'streampai'].map(
      (p) => placeholderValues({ ...event('follow'), platform: p }).platform,
    )
    expect(platforms).toEqual(['Twitch', 'YouTube', 'Kick', 'Facebook', 'Streampai'])
  })

  it('says Anonymous without a user or for anonymous gifts and cheers', () => {
    expect(placeholderValues(event('donation', {}, null)).name).toBe('Anonymous')
    expect(placeholderValues(event('gift_subscription', { anonymous: true }, 'Carol')).name).toBe('Anonymous')
    expect(placeholderValues(event('cheer', { bits: 5, anonymous: true }, 'Dave')).name).toBe('Anonymous')
  })

  it('leaves values an event does not have empty', () => {
    const v = placeholderValues(event('follow'), {}, L)
    expect(v).toMatchObject({ amount: '', currency: '', months: '', count: '', viewers: '', reward: '', tier: '' })
  })
})

describe('renderTemplate', () => {
  it('marks placeholder values as highlighted parts', () => {
    const e = event('raid', { viewers: 42 }, 'Eve')
    const parts = renderTemplate('{name} raids with {viewers} viewers {unknown}', placeholderValues(e, {}, L))
    expect(parts).toEqual([
      { text: 'Eve', highlight: true, placeholder: 'name' },
      { text: ' raids with ', highlight: false },
      { text: '42', highlight: true, placeholder: 'viewers' },
      { text: ' viewers {unknown}', highlight: false },
    ])
  })

  const words = (template, e) =>
    renderTemplate(template, placeholderValues(e, {}, L), placeholderCounts(e))
      .map((p) => p.text)
      .join('')

  it.each([
    ['subscription', { months: 1 }, 'Eve subscribed for 1 month!'],
    ['subscription', { months: 14 }, 'Eve subscribed for 14 months!'],
    ['gift_subscription', { count: 1 }, 'Eve gifted 1 sub!'],
    ['gift_subscription', { count: 50 }, 'Eve gifted 50 subs!'],
    ['raid', { viewers: 1 }, 'Eve is raiding with 1 viewer!'],
    ['raid', { viewers: 0 }, 'Eve is raiding with 0 viewers!'],
    ['raid', { viewers: 1200 }, 'Eve is raiding with 1,200 viewers!'],
  ])('the default %s template reads right for %j', (kind, fields, text) => {
    expect(words(DEFAULT_TEMPLATES[kind], event(kind, fields, 'Eve'))).toBe(text)
  })

  it('renders the charity donation and hype train defaults from their own fields', () => {
    const charity = event('charity_donation', {
      amount: { minor: 10000, currency: 'USD' },
      charity_name: 'Example name',
    }, 'GenerousUser1')
    expect(words(DEFAULT_TEMPLATES.charity_donation, charity)).toBe(
      'GenerousUser1 donated $100.00 to Example name!',
    )
    expect(words(DEFAULT_TEMPLATES.hype_train_begin, event('hype_train_begin', { level: 1 }))).toBe(
      'The Hype Train has started at level 1!',
    )
    expect(words(DEFAULT_TEMPLATES.hype_train_level_up, event('hype_train_level_up', { level: 3 }))).toBe(
      'Hype Train level 3!',
    )
  })

  it('compares a hype train by its level and a charity donation by its amount', () => {
    expect(eventAmount(event('hype_train_level_up', { level: 4 }))).toBe(4)
    expect(eventAmount(event('charity_donation', { amount: { minor: 250, currency: 'EUR' } }))).toBe(250)
  })

  it('highlights the number and leaves the noun plain', () => {
    const e = event('gift_subscription', { count: 1 }, 'Eve')
    expect(renderTemplate('{count:sub|subs}!', placeholderValues(e, {}, L), placeholderCounts(e))).toEqual([
      { text: '1', highlight: true, placeholder: 'count' },
      { text: ' sub', highlight: false },
      { text: '!', highlight: false },
    ])
  })

  it('uses the plural when the event has no such number', () => {
    expect(words('{count:sub|subs}', event('follow'))).toBe('subs')
    expect(placeholderCounts(event('follow'))).toEqual({ months: null, count: null, viewers: null })
    expect(placeholderCounts(event('membership', { gifted_count: 1 })).count).toBe(1)
  })

  it('renders a template the streamer wrote exactly as before', () => {
    expect(words('{name} raids with {viewers} viewers', event('raid', { viewers: 1 }, 'Eve'))).toBe(
      'Eve raids with 1 viewers',
    )
    expect(words('{name} cheered {amount}', event('cheer', { bits: 1 }, 'Eve'))).toBe('Eve cheered 1 bit')
  })

  it('keeps hostile values as plain text parts', () => {
    const name = '<img src=x onerror=alert(1)>'
    const parts = renderTemplate('{name}!', placeholderValues(event('follow', {}, name)))
    expect(parts[0].text).toBe(name)
  })
})

describe('alertSettings', () => {
  it('gives defaults for an empty or broken settings object', () => {
    for (const raw of [undefined, null, 'x', [], {}]) {
      const s = alertSettings(raw, 'follow')
      expect(s).toMatchObject({ ...DEFAULT_SETTINGS, template: DEFAULT_TEMPLATES.follow })
    }
    expect(alertSettings({}, 'mystery').template).toBe('{name}')
  })

  it('clamps image_size to 32–1920 px', () => {
    expect(alertSettings({}).image_size).toBe(256)
    expect(alertSettings({ image_size: 4 }).image_size).toBe(32)
    expect(alertSettings({ image_size: 99999 }).image_size).toBe(1920)
    expect(alertSettings({ image_size: '300px' }).image_size).toBe(256)
    expect(alertSettings({ image_size: 480 }).image_size).toBe(480)
  })

  it('replaces hostile or out-of-range values with defaults or clamps', () => {
    const s = alertSettings(
      {
        duration_ms: 1e9,
        volume: -5,
        font_size: 'huge',
        font_weight: 5000,
        text_delay_ms: 99999,
        text_color: 'red;background:url(https://evil/x)',
        highlight_color: '#12345',
        font_family: "Inter'; } body { display:none",
        layout: 'sideways',
        show_animation: 'spin}',
        hide_animation: 'bounce', // bounce is a show animation only
        text_shadow: 'yes',
        show_message: 1,
        template: 42,
      },
      'cheer',
    )
    expect(s.duration_ms).toBe(60000)
    expect(s.volume).toBe(0)
    expect(s.font_size).toBe(DEFAULT_SETTINGS.font_size)
    expect(s.font_weight).toBe(900)
    expect(s.text_delay_ms).toBe(10000)
    expect(s.text_color).toBe(DEFAULT_SETTINGS.text_color)
    expect(s.highlight_color).toBe(DEFAULT_SETTINGS.highlight_color)
    expect(s.font_family).toBe(DEFAULT_SETTINGS.font_family)
    expect(s.layout).toBe('image_above')
    expect(s.show_animation).toBe('fade')
    expect(s.hide_animation).toBe('fade')
    expect(s.text_shadow).toBe(true)
    expect(s.show_message).toBe(true)
    expect(s.template).toBe(DEFAULT_TEMPLATES.cheer)
    expect(alertSettings({ duration_ms: 10 }).duration_ms).toBe(1000)
  })

  it('accepts every valid choice', () => {
    const s = alertSettings({
      layout: 'text_over_image',
      font_family: 'Press Start 2P',
      show_animation: 'bounce',
      hide_animation: 'slide_down',
      text_color: '#ABCDEF',
    })
    expect(s).toMatchObject({
      layout: 'text_over_image',
      font_family: 'Press Start 2P',
      show_animation: 'bounce',
      hide_animation: 'slide_down',
      text_color: '#abcdef',
    })
  })
})

describe('fitMedia', () => {
  it.each([
    [{ width: 256, height: 256 }, 256, { width: 256, height: 256 }],
    [{ width: 28, height: 28 }, 256, { width: 256, height: 256 }], // a small picture is scaled up
    [{ width: 1920, height: 1080 }, 256, { width: 256, height: 144 }], // a big one down
    [{ width: 30, height: 60 }, 200, { width: 100, height: 200 }],
    [{ width: 3, height: 1000 }, 100, { width: 1, height: 100 }],
  ])('fits %j into a %i px square: %j', (natural, size, box) => {
    expect(fitMedia(natural, size)).toEqual(box)
  })

  it('is the whole square while the size is unknown', () => {
    for (const natural of [null, undefined, {}, { width: 0, height: 0 }, { width: NaN, height: 5 }, { width: -1, height: 5 }]) {
      expect(fitMedia(natural, 300)).toEqual({ width: 300, height: 300 })
    }
  })
})

describe('mediaStyle', () => {
  it('sizes the picture to its box, shrunk as a whole to the room the layout has', () => {
    expect(mediaStyle({ width: 1920, height: 1080 }, 256)).toEqual({
      width: 'min(256px, var(--alert-media-max-w), calc(var(--alert-media-max-h) * 1.7778))',
      height: 'min(144px, var(--alert-media-max-h), calc(var(--alert-media-max-w) / 1.7778))',
    })
    expect(mediaStyle(null, 300)).toEqual({
      width: 'min(300px, var(--alert-media-max-w), calc(var(--alert-media-max-h) * 1))',
      height: 'min(300px, var(--alert-media-max-h), calc(var(--alert-media-max-w) / 1))',
    })
  })
})

describe('message visibility', () => {
  const s = (extra) => alertSettings({ show_message: true, message_min_amount: 500, ...extra })
  it('shows the message from message_min_amount on', () => {
    const small = event('donation', { amount: { minor: 499, currency: 'USD' }, message: 'hi' })
    const big = event('donation', { amount: { minor: 500, currency: 'USD' }, message: 'hi' })
    expect(shouldShowMessage(small, s(), 'hi')).toBe(false)
    expect(shouldShowMessage(big, s(), 'hi')).toBe(true)
    expect(shouldShowMessage(big, s({ show_message: false }), 'hi')).toBe(false)
    expect(shouldShowMessage(event('cheer', { bits: 600 }), s(), 'hi')).toBe(true)
  })
  it('always shows messages on kinds without an amount (resubs)', () => {
    expect(shouldShowMessage(event('subscription', { months: 3 }), s(), 'hi')).toBe(true)
    expect(shouldShowMessage(event('subscription'), s(), '')).toBe(false)
  })
})

describe('alertView', () => {
  it('builds media URLs only from valid refs', () => {
    const v = (image, sound = '') =>
      alertView({ alert_id: 'a1', event: event('follow'), settings: { image, sound } }, 'tok en')
    expect(v('builtin/follow.svg').imageUrl).toBe('/overlay/media/builtin/follow.svg?token=tok%20en')
    expect(v(`user/${SHA}.webm`)).toMatchObject({ isVideo: true, imageUrl: `/overlay/media/user/${SHA}.webm?token=tok%20en` })
    expect(v(`user/${SHA}.gif`, 'builtin/ding.ogg')).toMatchObject({
      isVideo: false,
      soundUrl: '/overlay/media/builtin/ding.ogg?token=tok%20en',
    })
    for (const bad of ['', 'builtin/../secrets', 'https://evil.example/x.png', 'user/abc.gif', 'javascript:alert(1)', '/etc/passwd', 'builtin/a b.png', 42]) {
      expect(v(bad).imageUrl).toBeNull()
    }
  })

  it('rejects frames without an event', () => {
    expect(alertView(null)).toBeNull()
    expect(alertView({ alert_id: 'x' })).toBeNull()
    expect(alertView({ alert_id: 'x', event: { no: 'kind' } })).toBeNull()
  })
})
