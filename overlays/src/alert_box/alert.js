// Alert frames → what the alert box draws. Pure functions, no DOM: the component renders the
// results with {{ }} and v-for, never as HTML.
//
// `settings` in an `alert` frame is already resolved by the app (type settings + variation
// overrides + `amount_text`), but it still comes from a config that may be old, hand-edited or
// synced from another computer, so every value is checked here and falls back to a default.

import {
  boolSetting,
  choiceSetting,
  colorSetting,
  intSetting,
  stringSetting,
} from '../shared/config.js'
import { FONT_FAMILIES } from '../shared/fonts.js'
import { actorName, formatMoney, formatNumber, int, platformLabel, str } from '../shared/format.js'
import { mediaUrl, isVideoRef } from '../shared/media.js'

export const PLACEHOLDERS = Object.freeze([
  'name',
  'amount',
  'currency',
  'months',
  'count',
  'tier',
  'viewers',
  'message',
  'platform',
  'reward',
  'charity',
  'level',
])
const PLACEHOLDER_SET = new Set(PLACEHOLDERS)
// Placeholders that are a count of something, so they may carry their noun in both forms:
// `{months:month|months}` → "1 month" / "3 months" (singular for exactly 1).
export const COUNTABLE = Object.freeze(['months', 'count', 'viewers'])
const COUNTABLE_SET = new Set(COUNTABLE)

export const LAYOUTS = Object.freeze(['image_above', 'image_left', 'text_over_image'])
export const SHOW_ANIMATIONS = Object.freeze(['fade', 'slide_up', 'slide_down', 'zoom', 'bounce', 'none'])
export const HIDE_ANIMATIONS = Object.freeze(['fade', 'slide_up', 'slide_down', 'zoom', 'none'])

// How long each animation runs (ms); the CSS in AlertBox.vue uses the same numbers.
export const SHOW_MS = { fade: 500, slide_up: 600, slide_down: 600, zoom: 500, bounce: 900, none: 0 }
export const HIDE_MS = { fade: 500, slide_up: 500, slide_down: 500, zoom: 400, none: 0 }

const MAX_TEMPLATE = 500
const MAX_MESSAGE = 500

// When a frame carries no usable template: the app's defaults (streampai_desktop/widgets/alert_box.py).
export const DEFAULT_TEMPLATES = Object.freeze({
  follow: '{name} just followed!',
  subscription: '{name} subscribed for {months:month|months}!',
  gift_subscription: '{name} gifted {count:sub|subs}!',
  cheer: '{name} cheered {amount}!',
  raid: '{name} is raiding with {viewers:viewer|viewers}!',
  donation: '{name} donated {amount}!',
  channel_point_redemption: '{name} redeemed {reward}',
  super_chat: '{name} sent a Super Chat: {amount}',
  membership: '{name} became a member!',
  charity_donation: '{name} donated {amount} to {charity}!',
  hype_train_begin: 'The Hype Train has started at level {level}!',
  hype_train_level_up: 'Hype Train level {level}!',
})
const FALLBACK_TEMPLATE = '{name}'

// The same defaults as the app's alert type settings, for values that are missing or invalid.
export const DEFAULT_SETTINGS = Object.freeze({
  duration_ms: 6000,
  layout: 'image_above',
  image: '',
  image_size: 256,
  sound: '',
  volume: 60,
  font_family: 'Inter',
  font_size: 48,
  font_weight: 800,
  text_color: '#ffffff',
  highlight_color: '#9146ff',
  text_shadow: true,
  show_animation: 'fade',
  hide_animation: 'fade',
  text_delay_ms: 0,
  show_message: true,
  message_min_amount: 0,
})

function own(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key)
}

/**
 * A template as parts: `{text}` for literal text, `{placeholder}` for a known placeholder, and
 * `{placeholder, forms: [one, other]}` for a countable placeholder with its noun
 * (`{count:sub|subs}`). Unknown `{words}` (and forms on a placeholder that is not a count) stay
 * literal text, so a typo shows up as itself rather than vanishing.
 */
export function parseTemplate(template) {
  const src = typeof template === 'string' ? template.slice(0, MAX_TEMPLATE) : ''
  const parts = []
  const pushText = (text) => {
    if (!text) return
    const last = parts[parts.length - 1]
    if (last && own(last, 'text')) last.text += text
    else parts.push({ text })
  }
  const re = /\{([a-z_]+)(?::([^{}|]*)\|([^{}|]*))?\}/g
  let at = 0
  let m
  while ((m = re.exec(src)) !== null) {
    pushText(src.slice(at, m.index))
    const withForms = m[2] !== undefined
    if (withForms && COUNTABLE_SET.has(m[1])) parts.push({ placeholder: m[1], forms: [m[2], m[3]] })
    else if (!withForms && PLACEHOLDER_SET.has(m[1])) parts.push({ placeholder: m[1] })
    else pushText(m[0])
    at = m.index + m[0].length
  }
  pushText(src.slice(at))
  return parts
}

const TIERS = { 1000: 'Tier 1', 2000: 'Tier 2', 3000: 'Tier 3', prime: 'Prime' }

/** Twitch's tier ids as people say them: "1000" → "Tier 1", "Prime" → "Prime". */
export function tierName(tier) {
  if (typeof tier === 'number') tier = String(tier)
  if (typeof tier !== 'string' || !tier.trim()) return ''
  const key = tier.trim().toLowerCase()
  return own(TIERS, key) ? TIERS[key] : tier.trim()
}

/** The number an alert is "worth" (money in minor units, bits, viewers, gifts, a hype train's
 * level), or null. */
export function eventAmount(event) {
  switch (event?.kind) {
    case 'donation':
    case 'super_chat':
    case 'charity_donation':
      return Number.isFinite(event.amount?.minor) ? event.amount.minor : null
    case 'hype_train_begin':
    case 'hype_train_level_up':
      return Number.isFinite(event.level) ? event.level : null
    case 'cheer':
      return Number.isFinite(event.bits) ? event.bits : null
    case 'raid':
      return Number.isFinite(event.viewers) ? event.viewers : null
    case 'gift_subscription':
      return Number.isFinite(event.count) ? event.count : null
    case 'membership':
      return int(event.gifted_count) > 0 ? event.gifted_count : null
    default:
      return null
  }
}

/** The viewer's own words on an alert (resub/cheer/donation message, redemption input), or "". */
export function alertMessage(event) {
  if (!event || typeof event !== 'object') return ''
  const text = event.kind === 'channel_point_redemption' ? event.user_input : event.message
  return str(text).trim().slice(0, MAX_MESSAGE)
}

function amountFallback(event, locale) {
  switch (event.kind) {
    case 'donation':
    case 'super_chat':
    case 'charity_donation':
      return formatMoney(event.amount, locale)
    case 'cheer': {
      const bits = int(event.bits)
      return `${formatNumber(bits, locale)} ${bits === 1 ? 'bit' : 'bits'}`
    }
    default: {
      const n = eventAmount(event)
      return n === null ? '' : formatNumber(n, locale)
    }
  }
}

function countOf(event) {
  if (event.kind === 'membership') return int(event.gifted_count)
  return Number.isFinite(event.count) ? int(event.count) : null
}

/** The numbers behind the countable placeholders (null when the event has none), for plurals. */
export function placeholderCounts(event) {
  const e = event && typeof event === 'object' ? event : {}
  const whole = (v) => (Number.isFinite(v) ? int(v) : null)
  return { months: whole(e.months), count: countOf(e), viewers: whole(e.viewers) }
}

/** Every placeholder's value for this event, as plain text ("" when the event has none). */
export function placeholderValues(event, settings = {}, locale) {
  const e = event && typeof event === 'object' ? event : {}
  const anonymous = e.anonymous === true
  const amountText = settings && typeof settings.amount_text === 'string' ? settings.amount_text : ''
  const num = (v) => (Number.isFinite(v) ? formatNumber(int(v), locale) : '')
  const count = countOf(e)
  return {
    name: anonymous ? 'Anonymous' : actorName(e),
    amount: amountText || amountFallback(e, locale),
    currency: str(e.amount?.currency).toUpperCase(),
    months: num(e.months),
    count: count === null ? '' : num(count),
    tier: e.kind === 'membership' ? str(e.level_name) : tierName(e.tier),
    viewers: num(e.viewers),
    message: alertMessage(e),
    platform: platformLabel(e.platform),
    reward: str(e.reward_title),
    charity: str(e.charity_name),
    level: num(e.level),
  }
}

/**
 * Template parts with their values: `[{text, highlight}]`, placeholders highlighted. A countable
 * placeholder with forms is its number (highlighted) and then its noun, singular when the count
 * is exactly 1 (`counts` from placeholderCounts), plural otherwise.
 */
export function renderTemplate(template, values, counts = {}) {
  const out = []
  for (const part of parseTemplate(template)) {
    if (!own(part, 'placeholder')) {
      out.push({ text: part.text, highlight: false })
      continue
    }
    const text = values[part.placeholder] ?? ''
    out.push({ text, highlight: true, placeholder: part.placeholder })
    if (part.forms) {
      const noun = counts[part.placeholder] === 1 ? part.forms[0] : part.forms[1]
      if (noun) out.push({ text: text ? ` ${noun}` : noun, highlight: false })
    }
  }
  return out
}

/** The template to render: the app's default when missing (the app upgrades old defaults). */
function templateFor(template, kind) {
  if (!template) return own(DEFAULT_TEMPLATES, kind) ? DEFAULT_TEMPLATES[kind] : FALLBACK_TEMPLATE
  return template
}

/**
 * The box an alert's image or video is drawn in: the picture scaled (up or down) to fit a
 * `size`×`size` square, keeping its shape. `natural` is its own size ({width, height}: an image's
 * naturalWidth/Height, a video's videoWidth/Height); until that is known, or when the picture has
 * none, the whole square (the picture is fitted inside it with object-fit: contain).
 */
export function fitMedia(natural, size) {
  const w = natural?.width
  const h = natural?.height
  if (!(Number.isFinite(w) && Number.isFinite(h) && w > 0 && h > 0)) return { width: size, height: size }
  const scale = size / Math.max(w, h)
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) }
}

/**
 * The picture's style: its fitMedia box, shrunk as a whole (keeping its shape) where the layout's
 * room for it is smaller. That room is `--alert-media-max-w` × `--alert-media-max-h`, set per layout
 * in viewport units by AlertBox.vue.
 */
export function mediaStyle(natural, size) {
  const box = fitMedia(natural, size)
  const ratio = Math.round((box.width / box.height) * 10000) / 10000
  return {
    width: `min(${box.width}px, var(--alert-media-max-w), calc(var(--alert-media-max-h) * ${ratio}))`,
    height: `min(${box.height}px, var(--alert-media-max-h), calc(var(--alert-media-max-w) / ${ratio}))`,
  }
}

/** Resolved alert settings → validated settings (each bad or missing value → its default). */
export function alertSettings(raw, kind) {
  const s = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}
  const D = DEFAULT_SETTINGS
  const template = stringSetting(s, 'template', '')
  return {
    duration_ms: intSetting(s, 'duration_ms', D.duration_ms, 1000, 60000),
    template: templateFor(template, kind),
    layout: choiceSetting(s, 'layout', LAYOUTS, D.layout),
    image: stringSetting(s, 'image', D.image),
    image_size: intSetting(s, 'image_size', D.image_size, 32, 1920),
    sound: stringSetting(s, 'sound', D.sound),
    volume: intSetting(s, 'volume', D.volume, 0, 100),
    font_family: choiceSetting(s, 'font_family', FONT_FAMILIES, D.font_family),
    font_size: intSetting(s, 'font_size', D.font_size, 12, 160),
    font_weight: intSetting(s, 'font_weight', D.font_weight, 100, 900),
    text_color: colorSetting(s, 'text_color', D.text_color),
    highlight_color: colorSetting(s, 'highlight_color', D.highlight_color),
    text_shadow: boolSetting(s, 'text_shadow', D.text_shadow),
    show_animation: choiceSetting(s, 'show_animation', SHOW_ANIMATIONS, D.show_animation),
    hide_animation: choiceSetting(s, 'hide_animation', HIDE_ANIMATIONS, D.hide_animation),
    text_delay_ms: intSetting(s, 'text_delay_ms', D.text_delay_ms, 0, 10000),
    show_message: boolSetting(s, 'show_message', D.show_message),
    message_min_amount: intSetting(s, 'message_min_amount', D.message_min_amount, 0, Number.MAX_SAFE_INTEGER),
    amount_text: stringSetting(s, 'amount_text', ''),
  }
}

/** Show the viewer's message? Only when asked to, and (for kinds with an amount) from the minimum on. */
export function shouldShowMessage(event, settings, message) {
  if (!settings.show_message || !message) return false
  const amount = eventAmount(event)
  return amount === null || amount >= settings.message_min_amount
}

/**
 * Everything the component needs for one `alert` frame, computed once when it arrives.
 * Returns null for a frame that cannot be shown (no event).
 */
export function alertView(data, token, locale) {
  if (!data || typeof data !== 'object') return null
  const event = data.event
  if (!event || typeof event !== 'object' || typeof event.kind !== 'string') return null
  const settings = alertSettings(data.settings, event.kind)
  const values = placeholderValues(event, settings, locale)
  const message = values.message
  const idText = (v) => (typeof v === 'string' || Number.isFinite(v) ? String(v) : '')
  const variation =
    data.variation && typeof data.variation === 'object' ? data.variation.name : data.variation
  return {
    alertId: idText(data.alert_id),
    eventId: idText(event.id),
    kind: event.kind,
    variation: idText(variation),
    settings,
    headline: renderTemplate(settings.template, values, placeholderCounts(event)),
    message: shouldShowMessage(event, settings, message) ? message : '',
    imageUrl: mediaUrl(settings.image, token),
    isVideo: isVideoRef(settings.image),
    soundUrl: mediaUrl(settings.sound, token),
  }
}
