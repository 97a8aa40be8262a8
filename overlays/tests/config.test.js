import { describe, expect, it } from 'vitest'
import {
  boolSetting,
  choiceSetting,
  colorSetting,
  intSetting,
  loginSetSetting,
} from '../src/shared/config.js'
import { isMediaRef, mediaUrl, pageToken } from '../src/shared/media.js'
import { FONT_FAMILIES, fontStack } from '../src/shared/fonts.js'

describe('config validation', () => {
  it('accepts only #rrggbb (and #rrggbbaa / transparent where allowed)', () => {
    const c = (v, opts) => colorSetting({ v }, 'v', 'FALLBACK', opts)
    expect(c('#A1b2C3')).toBe('#a1b2c3')
    expect(c('#a1b2c3d4')).toBe('FALLBACK')
    expect(c('#a1b2c3d4', { alpha: true })).toBe('#a1b2c3d4')
    expect(c('transparent')).toBe('FALLBACK')
    expect(c('transparent', { transparent: true })).toBe('transparent')
    const hostile = [
      'red',
      'rgb(0,0,0)',
      '#fff',
      '#ffffff; background: url(https://evil.example/x)',
      '#ffffff\n',
      ' #ffffff',
      'url(javascript:alert(1))',
      'var(--x)',
      'expression(alert(1))',
      'transparent;display:none',
      null,
      42,
      ['#ffffff'],
      { toString: () => '#ffffff' },
    ]
    for (const v of hostile) expect(c(v, { alpha: true, transparent: true })).toBe('FALLBACK')
  })

  it('clamps numbers and rejects non-numbers', () => {
    expect(intSetting({ n: 5.6 }, 'n', 1, 0, 10)).toBe(6)
    expect(intSetting({ n: -50 }, 'n', 1, 0, 10)).toBe(0)
    expect(intSetting({ n: 1e300 }, 'n', 1, 0, 10)).toBe(10)
    for (const v of ['5', NaN, Infinity, null, true, '5px']) expect(intSetting({ n: v }, 'n', 1, 0, 10)).toBe(1)
  })

  it('takes choices and booleans only as exactly themselves', () => {
    expect(choiceSetting({ c: 'boxed' }, 'c', ['clean', 'boxed'], 'clean')).toBe('boxed')
    expect(choiceSetting({ c: 'Boxed' }, 'c', ['clean', 'boxed'], 'clean')).toBe('clean')
    expect(choiceSetting({ c: 'toString' }, 'c', ['clean'], 'clean')).toBe('clean')
    expect(boolSetting({ b: 'false' }, 'b', true)).toBe(true)
    expect(boolSetting({ b: false }, 'b', true)).toBe(false)
    // inherited properties are not settings
    expect(intSetting(Object.create({ n: 3 }), 'n', 1, 0, 10)).toBe(1)
  })

  it('reads login lists case-insensitively, dropping junk', () => {
    const set = loginSetSetting({ l: ['NightBot', ' @StreamElements ', '', 7, null, 'moobot'] }, 'l')
    expect([...set]).toEqual(['nightbot', 'streamelements', 'moobot'])
    expect(loginSetSetting({ l: 'nightbot' }, 'l').size).toBe(0)
    expect([...loginSetSetting({}, 'l', ['Moobot'])]).toEqual(['moobot'])
    expect(loginSetSetting({ l: [] }, 'l', ['moobot']).size).toBe(0)
  })

  it('has a font stack for each of the six fonts only', () => {
    expect(FONT_FAMILIES).toEqual(['Inter', 'Roboto', 'Montserrat', 'Bangers', 'Press Start 2P', 'Permanent Marker'])
    expect(fontStack('Bangers')).toMatch(/^'Bangers', /)
    expect(fontStack('x; color: red')).toBe(fontStack('Inter'))
  })
})

describe('media refs', () => {
  it('accepts builtin names and user sha256 files only', () => {
    expect(isMediaRef('builtin/follow.svg')).toBe(true)
    expect(isMediaRef(`user/${'0'.repeat(64)}.png`)).toBe(true)
    for (const bad of ['builtin/', 'builtin/../x', 'builtin/a/b.png', 'user/x.png', `user/${'0'.repeat(64)}`, 'http://x/y.png', '//evil/x', 'builtin/x?y', 'builtin/x#y']) {
      expect(isMediaRef(bad)).toBe(false)
    }
    expect(mediaUrl('builtin/follow.svg', 'a&b')).toBe('/overlay/media/builtin/follow.svg?token=a%26b')
    expect(mediaUrl('', 't')).toBeNull()
  })

  it("reads the page's token", () => {
    expect(pageToken({ search: '?token=abc&x=1' })).toBe('abc')
    expect(pageToken({ search: '' })).toBe('')
  })
})
