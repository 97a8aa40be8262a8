import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import AlertBox from '../src/alert_box/AlertBox.vue'
import { event } from './helpers.js'

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>'
const SHA = 'f'.repeat(64)

let alertSeq = 0
function frame(kind, fields = {}, user = 'Alice', settings = {}, extra = {}) {
  alertSeq += 1
  return {
    alert_id: `al-${alertSeq}`,
    event: event(kind, fields, user),
    settings: { duration_ms: 3000, ...settings },
    variation: null,
    ...extra,
  }
}

async function show(w, data) {
  expect(w.vm.showAlert(data)).toBe(true)
  await nextTick()
  return data
}

const alertEl = (w) => w.find('[data-testid="alert"]')

describe('AlertBox', () => {
  let play
  let pause
  beforeEach(() => {
    vi.useFakeTimers()
    play = vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => Promise.resolve())
    pause = vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => {})
  })
  afterEach(() => vi.useRealTimers())

  it('renders the template with each placeholder in its own highlighted span', async () => {
    const w = mount(AlertBox, { props: { token: 't' } })
    const data = frame(
      'gift_subscription',
      { count: 5, tier: '1000' },
      'Carol',
      { template: '{name} gifted {count} {tier} subs on {platform}! {oops}', highlight_color: '#FF00AA' },
      { variation: 'Big gifts' },
    )
    await show(w, data)
    const alert = w.get('[data-testid="alert"]')
    expect(alert.attributes()).toMatchObject({
      'data-alert-id': data.alert_id,
      'data-event-id': data.event.id,
      'data-kind': 'gift_subscription',
      'data-variation': 'Big gifts',
    })
    expect(w.get('[data-testid="alert-headline"]').text()).toBe('Carol gifted 5 Tier 1 subs on Twitch! {oops}')
    const hl = w.findAll('[data-testid="alert-highlight"]')
    expect(hl.map((h) => h.text())).toEqual(['Carol', '5', 'Tier 1', 'Twitch'])
    expect(hl[0].attributes('style')).toContain('color: rgb(255, 0, 170)')
  })

  it('shows for duration_ms, then plays the hide animation, then is gone', async () => {
    const w = mount(AlertBox)
    await show(w, frame('follow', {}, 'Alice', { duration_ms: 4000, hide_animation: 'slide_up' }))
    expect(alertEl(w).classes()).toContain('alert--in-fade')
    vi.advanceTimersByTime(3999)
    await nextTick()
    expect(alertEl(w).attributes('data-phase')).toBe('in')
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(alertEl(w).classes()).toContain('alert--out-slide_up')
    expect(alertEl(w).attributes('data-phase')).toBe('out')
    vi.advanceTimersByTime(500)
    await nextTick()
    expect(alertEl(w).exists()).toBe(false)
  })

  it('hides at once with hide_animation none', async () => {
    const w = mount(AlertBox)
    await show(w, frame('follow', {}, 'Alice', { duration_ms: 1000, hide_animation: 'none' }))
    vi.advanceTimersByTime(1000)
    await nextTick()
    expect(alertEl(w).exists()).toBe(false)
  })

  it('replaces the alert on screen when a new one arrives', async () => {
    const w = mount(AlertBox)
    const a = await show(w, frame('follow', {}, 'Alice'))
    const b = await show(w, frame('raid', { viewers: 9 }, 'Eve'))
    expect(w.findAll('[data-testid="alert"]')).toHaveLength(1)
    expect(alertEl(w).attributes('data-alert-id')).toBe(b.alert_id)
    // a's timer must not hide b early
    vi.advanceTimersByTime(2999)
    await nextTick()
    expect(alertEl(w).attributes('data-alert-id')).toBe(b.alert_id)
    expect(alertEl(w).attributes('data-phase')).toBe('in')
    expect(a.alert_id).not.toBe(b.alert_id)
  })

  it('alert_skip hides that alert now and ignores other ids', async () => {
    const w = mount(AlertBox)
    const data = await show(w, frame('follow', {}, 'Alice', { duration_ms: 20000, sound: 'builtin/follow.ogg' }))
    expect(w.vm.skipAlert('someone-else')).toBe(false)
    await nextTick()
    expect(alertEl(w).attributes('data-phase')).toBe('in')
    expect(w.vm.skipAlert(data.alert_id)).toBe(true)
    await nextTick()
    expect(alertEl(w).attributes('data-phase')).toBe('out')
    expect(pause).toHaveBeenCalled()
    vi.advanceTimersByTime(500)
    await nextTick()
    expect(alertEl(w).exists()).toBe(false)
  })

  it('shows the text text_delay_ms after the image', async () => {
    const w = mount(AlertBox)
    await show(w, frame('follow', {}, 'Alice', { text_delay_ms: 1500, image: 'builtin/follow.svg' }))
    const text = () => w.get('.alert-text')
    expect(w.find('[data-testid="alert-image"]').exists()).toBe(true)
    expect(text().attributes('data-revealed')).toBe('false')
    vi.advanceTimersByTime(1499)
    await nextTick()
    expect(text().attributes('data-revealed')).toBe('false')
    vi.advanceTimersByTime(1)
    await nextTick()
    expect(text().attributes('data-revealed')).toBe('true')
    expect(text().classes()).toContain('alert-text--revealed')
  })

  it.each([
    ['image_above', 'fade'],
    ['image_left', 'slide_up'],
    ['text_over_image', 'slide_down'],
    ['image_above', 'zoom'],
    ['image_left', 'bounce'],
    ['text_over_image', 'none'],
  ])('uses layout %s and show animation %s as classes', async (layout, anim) => {
    const w = mount(AlertBox)
    await show(w, frame('follow', {}, 'A', { layout, show_animation: anim }))
    expect(alertEl(w).classes()).toEqual(expect.arrayContaining([`alert--${layout}`, `alert--in-${anim}`]))
  })

  it('falls back to defaults for hostile settings, never passing them into styles', async () => {
    const w = mount(AlertBox)
    await show(
      w,
      frame('follow', {}, 'A', {
        layout: 'x" onload="y',
        show_animation: 'url(javascript:1)',
        text_color: 'red; background: url(https://evil/x)',
        highlight_color: 'expression(alert(1))',
        font_family: 'Comic Sans; } body { display: none',
        font_size: '9999px',
        font_weight: 'bold',
      }),
    )
    expect(alertEl(w).classes()).toEqual(expect.arrayContaining(['alert--image_above', 'alert--in-fade']))
    const textStyle = w.get('.alert-text').attributes('style')
    expect(textStyle).toContain('font-family: "Inter"')
    expect(textStyle).toContain('font-size: 48px')
    expect(textStyle).toContain('font-weight: 800')
    expect(textStyle).toContain('color: rgb(255, 255, 255)')
    expect(w.html()).not.toMatch(/evil|expression|display: none|javascript/)
  })

  it('uses <img> for images and GIFs, a muted autoplaying <video> for mp4/webm, nothing for ""', async () => {
    const w = mount(AlertBox, { props: { token: 'abc' } })
    await show(w, frame('follow', {}, 'A', { image: `user/${SHA}.gif` }))
    expect(w.get('[data-testid="alert-image"]').attributes('src')).toBe(`/overlay/media/user/${SHA}.gif?token=abc`)
    expect(w.find('[data-testid="alert-video"]').exists()).toBe(false)

    await show(w, frame('follow', {}, 'A', { image: `user/${SHA}.webm` }))
    const video = w.get('[data-testid="alert-video"]')
    expect(video.attributes('src')).toBe(`/overlay/media/user/${SHA}.webm?token=abc`)
    expect(video.element.muted).toBe(true)
    expect(video.attributes()).toHaveProperty('autoplay')
    expect(video.attributes()).toHaveProperty('playsinline')
    expect(w.find('[data-testid="alert-image"]').exists()).toBe(false)

    await show(w, frame('follow', {}, 'A', { image: '' }))
    expect(w.find('[data-testid="alert-image"]').exists()).toBe(false)
    expect(w.find('[data-testid="alert-video"]').exists()).toBe(false)
    expect(w.find('img, video').exists()).toBe(false)
  })

  it('gives the picture a definite box: the image_size square, then fitted to its shape', async () => {
    const w = mount(AlertBox, { props: { token: 'abc' } })
    // the fitted box (the layout's room is applied by the browser: see mediaStyle in alert.js)
    const px = (value) => /^min\((\d+)px,/.exec(value)?.[1]
    const size = (el) => [px(el.element.style.width), px(el.element.style.height)]

    // An SVG with no size of its own must never be drawn 0×0: the square until it has loaded.
    await show(w, frame('follow', {}, 'A', { image: 'builtin/follow.svg' }))
    const img = w.get('[data-testid="alert-image"]')
    expect(size(img)).toEqual(['256', '256'])
    Object.defineProperty(img.element, 'naturalWidth', { value: 96 })
    Object.defineProperty(img.element, 'naturalHeight', { value: 48 })
    await img.trigger('load')
    expect(size(img)).toEqual(['256', '128'])

    await show(w, frame('follow', {}, 'A', { image: `user/${SHA}.webm`, image_size: 400 }))
    const video = w.get('[data-testid="alert-video"]')
    expect(size(video), 'a new alert starts from its own square').toEqual(['400', '400'])
    Object.defineProperty(video.element, 'videoWidth', { value: 160 })
    Object.defineProperty(video.element, 'videoHeight', { value: 90 })
    await video.trigger('loadedmetadata')
    expect(size(video)).toEqual(['400', '225'])
  })

  it('plays the sound once at its volume, and survives an autoplay refusal', async () => {
    const w = mount(AlertBox, { props: { token: 'abc' } })
    await show(w, frame('follow', {}, 'A', { sound: 'builtin/follow.ogg', volume: 40 }))
    expect(play).toHaveBeenCalledTimes(1)
    const audio = play.mock.contexts[0]
    expect(audio.src).toContain('/overlay/media/builtin/follow.ogg?token=abc')
    expect(audio.volume).toBeCloseTo(0.4)

    play.mockImplementation(() => Promise.reject(new DOMException('no gesture', 'NotAllowedError')))
    await show(w, frame('follow', {}, 'B', { sound: 'builtin/follow.ogg' }))
    await Promise.resolve()
    expect(alertEl(w).exists()).toBe(true)

    play.mockClear()
    await show(w, frame('follow', {}, 'C', { sound: '' }))
    await show(w, frame('follow', {}, 'C', { sound: 'https://evil.example/a.mp3' }))
    await show(w, frame('follow', {}, 'C', { sound: 'builtin/follow.ogg', volume: 0 }))
    expect(play).not.toHaveBeenCalled()
  })

  it('shows the viewer message only when enabled and from message_min_amount', async () => {
    const w = mount(AlertBox)
    const money = (minor) => ({ amount: { minor, currency: 'USD' }, message: 'great stream' })
    await show(w, frame('donation', money(500), 'F', { show_message: true, message_min_amount: 300 }))
    expect(w.get('[data-testid="alert-message"]').text()).toBe('great stream')
    await show(w, frame('donation', money(200), 'F', { show_message: true, message_min_amount: 300 }))
    expect(w.find('[data-testid="alert-message"]').exists()).toBe(false)
    await show(w, frame('donation', money(900), 'F', { show_message: false }))
    expect(w.find('[data-testid="alert-message"]').exists()).toBe(false)
  })

  it('renders hostile names, messages and reward titles as text, creating no elements', async () => {
    const w = mount(AlertBox)
    await show(
      w,
      frame(
        'channel_point_redemption',
        { reward_title: HOSTILE, reward_id: 'r', cost: 1, user_input: HOSTILE },
        HOSTILE,
        { template: '{name} redeemed {reward} {message}', show_message: true },
      ),
    )
    expect(w.get('[data-testid="alert-headline"]').text()).toBe(`${HOSTILE} redeemed ${HOSTILE} ${HOSTILE}`)
    expect(w.get('[data-testid="alert-message"]').text()).toBe(HOSTILE)
    expect(w.findAll('img, script, b, iframe, svg')).toHaveLength(0)
    await show(w, frame('donation', { amount: { minor: 100, currency: 'USD' } }, 'F', { amount_text: HOSTILE, template: '{amount}' }))
    expect(w.get('[data-testid="alert-highlight"]').text()).toBe(HOSTILE)
    expect(w.findAll('img, script, b')).toHaveLength(0)
  })

  it('ignores unusable frames', async () => {
    const w = mount(AlertBox)
    expect(w.vm.showAlert({ alert_id: 'x' })).toBe(false)
    expect(w.vm.showAlert(null)).toBe(false)
    expect(w.vm.skipAlert('x')).toBe(false)
    await nextTick()
    expect(alertEl(w).exists()).toBe(false)
  })
})
