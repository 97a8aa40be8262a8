import { describe, expect, it } from 'vitest'
import { actorName, formatMoney, platformLabel } from '../src/shared/format.js'
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

describe('names and platforms', () => {
  it('uses the display name, else the login, else Anonymous', () => {
    expect(actorName(event('follow', {}, 'Alice'))).toBe('Alice')
    expect(actorName(event('follow', {}, { id: '1', login: 'zed', display_name: ' ', badges: [] }))).toBe('zed')
    expect(actorName(event('follow', {}, null))).toBe('Anonymous')
    expect(actorName(null)).toBe('Anonymous')
  })

  it('names the platforms, and never returns an object property for odd input', () => {
    expect(['twitch', 'youtube', 'kick', 'facebook', 'streampai'].map(platformLabel)).toEqual([
      'Twitch',
      'YouTube',
      'Kick',
      'Facebook',
      'Streampai',
    ])
    expect(platformLabel('constructor')).toBe('constructor')
    expect(platformLabel('__proto__')).toBe('__proto__')
    expect(platformLabel(7)).toBe('')
  })
})
