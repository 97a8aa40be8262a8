import { describe, expect, it } from 'vitest'
import { ALERT_KINDS, alertHeadline, alertMessage, formatMoney } from '../src/shared/format.js'
import { event } from './helpers.js'

const L = 'en-US'

describe('formatMoney', () => {
  it('formats minor units with the currency', () => {
    expect(formatMoney({ minor: 500, currency: 'USD' }, L)).toBe('$5.00')
    expect(formatMoney({ minor: 123456, currency: 'USD' }, L)).toBe('$1,234.56')
    expect(formatMoney({ minor: 1999, currency: 'EUR' }, L)).toBe('€19.99')
    expect(formatMoney({ minor: 1999, currency: 'eur' }, 'de-DE')).toBe('19,99\u00a0€')
  })

  it("uses the currency's own decimals", () => {
    expect(formatMoney({ minor: 500, currency: 'JPY' }, L)).toBe('¥500')
    expect(formatMoney({ minor: 1500, currency: 'KWD' }, L)).toBe('KWD\u00a01.500')
  })

  it('degrades gracefully on odd input', () => {
    expect(formatMoney(null, L)).toBe('')
    expect(formatMoney({ minor: 'x', currency: 'USD' }, L)).toBe('')
    expect(formatMoney({ minor: 500, currency: 'US' }, L)).toBe('5')
    expect(formatMoney({ minor: 500, currency: 'USD' }, 'not a locale!!')).toBe('5.00 USD')
  })
})

describe('alertHeadline', () => {
  const cases = [
    ['follow', {}, 'Alice', 'Alice just followed!'],
    ['subscription', { months: 1 }, 'Bob', 'Bob just subscribed!'],
    ['subscription', { months: 3, tier: '1000' }, 'Bob', 'Bob subscribed for 3 months!'],
    ['subscription', { months: 1, is_gift: true }, 'Bob', 'Bob received a gift sub!'],
    ['gift_subscription', { count: 5, tier: '1000' }, 'Carol', 'Carol gifted 5 subs!'],
    ['gift_subscription', { count: 1 }, 'Carol', 'Carol gifted a sub!'],
    ['gift_subscription', { count: 5, anonymous: true }, null, 'Anonymous gifted 5 subs!'],
    ['cheer', { bits: 100 }, 'Dave', 'Dave cheered 100 bits!'],
    ['cheer', { bits: 1 }, 'Dave', 'Dave cheered 1 bit!'],
    ['cheer', { bits: 2500, anonymous: true }, 'Dave', 'Anonymous cheered 2,500 bits!'],
    ['raid', { viewers: 42 }, 'Eve', 'Eve is raiding with 42 viewers!'],
    ['donation', { amount: { minor: 500, currency: 'USD' } }, 'Frank', 'Frank donated $5.00!'],
    ['donation', { amount: { minor: 1000, currency: 'EUR' } }, null, 'Anonymous donated €10.00!'],
    [
      'channel_point_redemption',
      { reward_id: 'r1', reward_title: 'Hydrate', cost: 500 },
      'Gina',
      'Gina redeemed Hydrate',
    ],
    [
      'super_chat',
      { amount: { minor: 1000, currency: 'USD' } },
      'Hank',
      'Hank sent a Super Chat of $10.00',
    ],
    [
      'super_chat',
      { amount: { minor: 200, currency: 'USD' }, sticker_id: 'st1' },
      'Hank',
      'Hank sent a Super Sticker of $2.00',
    ],
    ['membership', { level_name: 'Gold' }, 'Ivy', 'Ivy became a member'],
    ['membership', { months: 6 }, 'Ivy', 'Ivy has been a member for 6 months!'],
    ['membership', { gifted_count: 10 }, 'Ivy', 'Ivy gifted 10 memberships!'],
  ]
  it.each(cases)('%s %j by %s → %s', (kind, fields, user, expected) => {
    expect(alertHeadline(event(kind, fields, user), L)).toBe(expected)
  })

  it('covers every alertable kind of the event model', () => {
    expect([...ALERT_KINDS].sort()).toEqual(
      [
        'channel_point_redemption',
        'cheer',
        'donation',
        'follow',
        'gift_subscription',
        'membership',
        'raid',
        'subscription',
        'super_chat',
      ].sort(),
    )
  })

  it('falls back to the login, and returns null for non-alert kinds', () => {
    const noDisplay = event('follow', {}, { id: '1', login: 'zed', display_name: '', badges: [] })
    expect(alertHeadline(noDisplay, L)).toBe('zed just followed!')
    expect(alertHeadline(event('chat_message', { text: 'hi' }), L)).toBeNull()
    expect(alertHeadline(event('viewer_count', { viewers: 3 }), L)).toBeNull()
    expect(alertHeadline(event('toString'), L)).toBeNull()
    expect(alertHeadline(null, L)).toBeNull()
  })
})

describe('alertMessage', () => {
  it("is the viewer's message, or the redemption's input", () => {
    expect(alertMessage(event('cheer', { bits: 5, message: ' gg ' }))).toBe('gg')
    expect(alertMessage(event('channel_point_redemption', { user_input: 'play X' }))).toBe('play X')
    expect(alertMessage(event('follow'))).toBe('')
    expect(alertMessage(event('donation', { message: 42 }))).toBe('')
  })
})
