// Chat message → what the chat box draws: a list of parts that are either text (rendered as text
// nodes) or an emote image whose URL is built only from checked, URL-safe ids. No HTML strings.

import { actorName, platformLabel } from './format.js'

export const DEFAULT_NAME_COLOR = '#b9a3ff'
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/
const EMOTE_ID = /^[A-Za-z0-9_:-]+$/
const PLATFORM_ID = /^[a-z][a-z0-9_-]*$/

/** The user's colour when it is a plain `#rrggbb`, else the default (never a CSS expression). */
export function nameColor(color) {
  return typeof color === 'string' && HEX_COLOR.test(color) ? color : DEFAULT_NAME_COLOR
}

/**
 * Where an emote image comes from, or null when the ids are not safe to put in a URL.
 * `/overlay/emotes/{platform}/{emote_id}` is a placeholder route until the emote cache exists.
 */
export function emoteSrc(platform, emoteId) {
  if (typeof platform !== 'string' || !PLATFORM_ID.test(platform)) return null
  if (typeof emoteId !== 'string' || !EMOTE_ID.test(emoteId)) return null
  return `/overlay/emotes/${platform}/${emoteId}`
}

/** The message as parts: `{type: 'text', text}` or `{type: 'emote', text, src}`. */
export function messageParts(event) {
  const fragments = Array.isArray(event?.fragments) ? event.fragments : []
  const parts = []
  for (const frag of fragments) {
    if (!frag || typeof frag !== 'object' || typeof frag.text !== 'string') continue
    const src = frag.type === 'emote' ? emoteSrc(event.platform, frag.emote_id) : null
    if (src) {
      parts.push({ type: 'emote', text: frag.text, src })
    } else {
      // text, mention, cheermote and any emote we cannot show: the words themselves, as text
      const last = parts[parts.length - 1]
      if (last && last.type === 'text') last.text += frag.text
      else parts.push({ type: 'text', text: frag.text })
    }
  }
  if (parts.length === 0 && typeof event?.text === 'string' && event.text) {
    parts.push({ type: 'text', text: event.text })
  }
  return parts
}

/** A chat_message event as the chat box's row model (computed once, when the message arrives). */
export function chatRow(event, key) {
  return {
    key,
    id: typeof event.id === 'string' ? event.id : '',
    platform: typeof event.platform === 'string' ? event.platform : '',
    platformLabel: platformLabel(event.platform),
    name: actorName(event),
    color: nameColor(event.user?.color),
    parts: messageParts(event),
  }
}
