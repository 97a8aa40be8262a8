// Chat events → what the chat box draws, and the chat box config → validated settings.
//
// A message becomes a list of parts: text (rendered as text nodes), an emote image whose URL is
// built only from checked ids, a mention, or a cheermote with its bits. No HTML strings anywhere.
// Besides chat messages a row can be a paid message (a YouTube Super Chat or Super Sticker: a card
// in the colours of its tier) or a platform notice (a sub, gift or raid line), each switched by
// its own setting.

import {
  boolSetting,
  choiceSetting,
  colorSetting,
  intSetting,
  loginSetSetting,
} from '../shared/config.js'
import { FONT_FAMILIES } from '../shared/fonts.js'
import { actorName, formatMoney, platformLabel, PLATFORM_LABELS } from '../shared/format.js'
import { badgeIconKey } from './icons.js'

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/
export const EMOTE_ID = /^[A-Za-z0-9_:-]{1,100}$/
const MAX_TEXT = 2000
const MAX_BADGES = 8

/** How long a message's fade-out runs once its lifetime is over (the CSS uses the same). */
export const FADE_MS = 600

export const THEMES = Object.freeze(['clean', 'boxed', 'platform'])

// The same defaults as the app's chat box (streampai_desktop/widgets/chat_box.py), for values
// that are missing or invalid.
export const DEFAULT_BOTS = Object.freeze(['nightbot', 'streamelements', 'streamlabs', 'moobot', 'fossabot', 'wizebot'])

export const DEFAULT_CHAT_SETTINGS = Object.freeze({
  theme: 'boxed',
  font_family: 'Inter',
  font_size: 20,
  text_color: '#ffffff',
  background_color: 'transparent',
  message_background: '#000000a0',
  lifetime_s: 0,
  max_messages: 20,
  hide_commands: true,
  show_badges: true,
  show_platform_icons: true,
  message_delay_ms: 0,
  highlight_mentions: true,
  show_paid_messages: true,
  show_notices: false,
})

/** The chat box config with every value checked (bad or missing → default). */
export function chatSettings(config) {
  const D = DEFAULT_CHAT_SETTINGS
  return {
    theme: choiceSetting(config, 'theme', THEMES, D.theme),
    font_family: choiceSetting(config, 'font_family', FONT_FAMILIES, D.font_family),
    font_size: intSetting(config, 'font_size', D.font_size, 10, 64),
    text_color: colorSetting(config, 'text_color', D.text_color),
    background_color: colorSetting(config, 'background_color', D.background_color, {
      transparent: true,
    }),
    message_background: colorSetting(config, 'message_background', D.message_background, {
      alpha: true,
    }),
    lifetime_s: intSetting(config, 'lifetime_s', D.lifetime_s, 0, 600),
    max_messages: intSetting(config, 'max_messages', D.max_messages, 1, 200),
    hide_commands: boolSetting(config, 'hide_commands', D.hide_commands),
    hidden_bots: loginSetSetting(config, 'hidden_bots', DEFAULT_BOTS),
    muted_users: loginSetSetting(config, 'muted_users'),
    show_badges: boolSetting(config, 'show_badges', D.show_badges),
    show_platform_icons: boolSetting(config, 'show_platform_icons', D.show_platform_icons),
    message_delay_ms: intSetting(config, 'message_delay_ms', D.message_delay_ms, 0, 60000),
    highlight_mentions: boolSetting(config, 'highlight_mentions', D.highlight_mentions),
    show_paid_messages: boolSetting(config, 'show_paid_messages', D.show_paid_messages),
    show_notices: boolSetting(config, 'show_notices', D.show_notices),
  }
}

// Names without a colour get one of these, chosen from the user id so it is stable per person.
// Bright enough to read on a dark box or a busy game scene.
const NAME_PALETTE = [
  '#ff6b6b',
  '#4dabf7',
  '#69db7c',
  '#ffa94d',
  '#da77f2',
  '#3bc9db',
  '#ffd43b',
  '#f783ac',
  '#9775fa',
  '#a9e34b',
  '#ff8787',
  '#38d9a9',
]

function hash(text) {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0
  return Math.abs(h)
}

/** The user's colour when it is a plain `#rrggbb`, else a stable palette colour (never CSS). */
export function nameColor(color, seed = '') {
  if (typeof color === 'string' && HEX_COLOR.test(color)) return color.toLowerCase()
  return NAME_PALETTE[hash(String(seed)) % NAME_PALETTE.length]
}

function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  const lin = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
}

function mix(hex, target, amount) {
  const out = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16)
    return Math.round(v + (target - v) * amount)
      .toString(16)
      .padStart(2, '0')
  })
  return `#${out.join('')}`
}

/**
 * A name colour adjusted to stay readable: with light message text (a dark box or shadowed text)
 * a near-black name is lifted; with dark text (a light box) a near-white name is darkened.
 */
export function readableColor(hex, textColor) {
  if (!HEX_COLOR.test(hex)) return hex
  const lightText = luminance(textColor.slice(0, 7)) > 0.4
  let out = hex
  for (let i = 0; i < 6; i++) {
    const l = luminance(out)
    if (lightText ? l >= 0.2 : l <= 0.45) break
    out = mix(out, lightText ? 255 : 0, 0.25)
  }
  return out
}

function knownPlatform(platform) {
  return typeof platform === 'string' && Object.prototype.hasOwnProperty.call(PLATFORM_LABELS, platform)
}

/**
 * Where an emote image comes from, or null when the ids are not safe to put in a URL:
 * `/overlay/emotes/{platform}/{emote_id}?token=…` (the app fetches, caches and serves it).
 */
export function emoteSrc(platform, emoteId, token = '') {
  if (!knownPlatform(platform)) return null
  if (typeof emoteId !== 'string' || !EMOTE_ID.test(emoteId)) return null
  return `/overlay/emotes/${platform}/${emoteId}?token=${encodeURIComponent(token)}`
}

// Twitch's cheer tiers, by the colour of their gem.
const BITS_TIERS = [
  [10000, '#f43021'],
  [5000, '#0099fe'],
  [1000, '#1db2a5'],
  [100, '#9c3ee8'],
  [1, '#979797'],
]

/** The gem colour for an amount of bits. */
export function bitsColor(bits) {
  for (const [min, color] of BITS_TIERS) if (bits >= min) return color
  return BITS_TIERS[BITS_TIERS.length - 1][1]
}

/**
 * The message as parts: `{type: 'text', text}`, `{type: 'emote', text, src}`,
 * `{type: 'mention', text}` or `{type: 'cheer', text, bits}`.
 */
export function messageParts(event, token = '') {
  const fragments = Array.isArray(event?.fragments) ? event.fragments : []
  const parts = []
  const pushText = (text) => {
    const last = parts[parts.length - 1]
    if (last && last.type === 'text') last.text += text
    else parts.push({ type: 'text', text })
  }
  for (const frag of fragments) {
    if (!frag || typeof frag !== 'object' || typeof frag.text !== 'string' || !frag.text) continue
    if (frag.type === 'emote') {
      const src = emoteSrc(event.platform, frag.emote_id, token)
      if (src) parts.push({ type: 'emote', text: frag.text, src })
      else pushText(frag.text) // an emote we cannot show: its words, as text
    } else if (frag.type === 'mention') {
      parts.push({ type: 'mention', text: frag.text })
    } else if (frag.type === 'cheermote' && Number.isFinite(frag.bits) && frag.bits > 0) {
      const bits = Math.trunc(frag.bits)
      parts.push({ type: 'cheer', text: frag.text, bits, color: bitsColor(bits) })
    } else {
      pushText(frag.text)
    }
  }
  if (parts.length === 0 && typeof event?.text === 'string' && event.text) {
    parts.push({ type: 'text', text: event.text.slice(0, MAX_TEXT) })
  }
  return parts
}

/** The badges to draw: a bundled icon for the known set ids, a text chip for the rest. */
export function badgeList(user) {
  const badges = Array.isArray(user?.badges) ? user.badges : []
  const out = []
  const seen = new Set()
  for (const b of badges) {
    if (!b || typeof b !== 'object' || typeof b.set_id !== 'string') continue
    const setId = b.set_id.trim().slice(0, 32)
    if (!setId || seen.has(setId)) continue
    seen.add(setId)
    const icon = badgeIconKey(setId)
    out.push({ setId, icon, label: setId.replace(/[_-]+/g, ' ') })
    if (out.length >= MAX_BADGES) break
  }
  return out
}

function str(v) {
  return typeof v === 'string' ? v : ''
}

/** The message's plain text (for the command filter): `text`, else the fragments' text. */
export function plainText(event) {
  if (typeof event?.text === 'string' && event.text) return event.text
  const fragments = Array.isArray(event?.fragments) ? event.fragments : []
  return fragments.map((f) => str(f?.text)).join('')
}

// YouTube's Super Chat colours by tier (1 = the lowest amounts, 7 = red, which the tiers above
// it keep): the header behind the name and amount, the body behind the comment, and the text on
// them — the shades YouTube's own chat uses (its paid message renderer's header and body
// background colours).
export const SUPER_CHAT_TIERS = Object.freeze([
  Object.freeze({ header: '#1565c0', body: '#1e88e5', text: '#ffffff' }), // blue
  Object.freeze({ header: '#00b8d4', body: '#00e5ff', text: '#000000' }), // light blue
  Object.freeze({ header: '#00bfa5', body: '#1de9b6', text: '#000000' }), // green
  Object.freeze({ header: '#ffb300', body: '#ffca28', text: '#000000' }), // yellow
  Object.freeze({ header: '#e65100', body: '#f57c00', text: '#ffffff' }), // orange
  Object.freeze({ header: '#c2185b', body: '#e91e63', text: '#ffffff' }), // magenta
  Object.freeze({ header: '#d00000', body: '#e62117', text: '#ffffff' }), // red
])

/** The colours for a Super Chat tier; a missing or odd tier gets the lowest tier's colours. */
export function superChatColors(tier) {
  const n = Number.isInteger(tier) && tier >= 1 ? Math.min(tier, SUPER_CHAT_TIERS.length) : 1
  return SUPER_CHAT_TIERS[n - 1]
}

function baseRow(event, key, type) {
  const user = event.user && typeof event.user === 'object' ? event.user : null
  const platform = typeof event.platform === 'string' ? event.platform : ''
  return {
    key,
    type, // 'message' | 'paid' | 'notice'
    id: str(event.id),
    platform,
    platformKnown: knownPlatform(platform),
    platformLabel: platformLabel(platform),
    userId: str(user?.id),
    login: str(user?.login).toLowerCase(),
    name: actorName(event),
    color: nameColor(user?.color, str(user?.id) || str(user?.login)),
    badges: badgeList(user),
    parts: [],
    text: '', // what the command filter reads (chat messages only)
  }
}

/** A chat_message event as the chat box's row model (computed once, when the message arrives). */
export function chatRow(event, key, token = '') {
  const row = baseRow(event, key, 'message')
  row.parts = messageParts(event, token)
  row.text = plainText(event)
  return row
}

/**
 * A super_chat event (a Super Chat, or a Super Sticker when it has a sticker_id) as a paid row:
 * the amount as money, the comment (a sticker's alt text) as text, and its tier's colours.
 */
export function paidRow(event, key, locale) {
  const row = baseRow(event, key, 'paid')
  const message = str(event.message).slice(0, MAX_TEXT)
  row.sticker = typeof event.sticker_id === 'string' && event.sticker_id !== ''
  row.amountText = formatMoney(event.amount, locale)
  row.colors = superChatColors(event.tier)
  row.parts = message ? [{ type: 'text', text: message }] : []
  return row
}

/**
 * A chat_notification event as a notice row: the platform's sentence (``system_message``) and
 * the viewer's own words, if any. An update of an earlier notice (``updates_id``: a jewel gift
 * whose combo count rose) takes that notice's id, so it replaces the line rather than adding one.
 */
export function noticeRow(event, key, token = '') {
  const row = baseRow(event, key, 'notice')
  const updates = str(event.updates_id)
  if (updates) row.id = updates
  const said = str(event.system_message).trim().slice(0, MAX_TEXT)
  row.system = said || `${row.name}: ${str(event.notice_type).replace(/_/g, ' ')}`.trim()
  row.parts = messageParts(event, token)
  return row
}

/** Should this row be hidden by the config (its kind switched off, commands, bots, muted users)? */
export function isFiltered(row, settings) {
  if (row.type === 'paid' && !settings.show_paid_messages) return true
  if (row.type === 'notice' && !settings.show_notices) return true
  if (settings.hide_commands && row.text.trimStart().startsWith('!')) return true
  if (row.login && (settings.hidden_bots.has(row.login) || settings.muted_users.has(row.login))) {
    return true
  }
  return false
}
