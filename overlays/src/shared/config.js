// Reading widget config values defensively: the config comes from the app (and, through sync,
// from another computer), so a missing or mistyped value falls back to the widget's default.
//
// Values that end up in a style attribute are checked against a strict shape here (colours are
// `#rrggbb`/`#rrggbbaa`/`transparent`, numbers are clamped, fonts and other choices come from a
// fixed list), so a hostile or broken config can neither inject CSS nor blank the overlay.

const HEX6 = /^#[0-9a-fA-F]{6}$/
const HEX8 = /^#[0-9a-fA-F]{8}$/

function get(config, key) {
  if (!config || typeof config !== 'object') return undefined
  return Object.prototype.hasOwnProperty.call(config, key) ? config[key] : undefined
}

/** An integer setting clamped to [min, max], or `fallback` when absent or not a number. */
export function intSetting(config, key, fallback, min, max) {
  const value = get(config, key)
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.round(value)))
}

/** A string setting, or `fallback`. */
export function stringSetting(config, key, fallback) {
  const value = get(config, key)
  return typeof value === 'string' && value ? value : fallback
}

/** A boolean setting (only real booleans count: "false" is not false), or `fallback`. */
export function boolSetting(config, key, fallback) {
  const value = get(config, key)
  return typeof value === 'boolean' ? value : fallback
}

/** One of `choices` (exact match), or `fallback`. */
export function choiceSetting(config, key, choices, fallback) {
  const value = get(config, key)
  return typeof value === 'string' && choices.includes(value) ? value : fallback
}

/**
 * A colour that is safe to put in a style: `#rrggbb` always; `#rrggbbaa` when `alpha`;
 * `transparent` when `transparent`. Anything else (names, rgb(), url(), `;`…) → `fallback`.
 */
export function colorSetting(config, key, fallback, { alpha = false, transparent = false } = {}) {
  const value = get(config, key)
  if (typeof value !== 'string') return fallback
  if (HEX6.test(value)) return value.toLowerCase()
  if (alpha && HEX8.test(value)) return value.toLowerCase()
  if (transparent && value === 'transparent') return value
  return fallback
}

/**
 * A list of logins as a Set of lower-case names (non-strings and blanks dropped); `fallback`
 * (a list) when the value is missing or not a list.
 */
export function loginSetSetting(config, key, fallback = [], limit = 1000) {
  const raw = get(config, key)
  const value = Array.isArray(raw) ? raw : fallback
  const out = new Set()
  for (const item of value.slice(0, limit)) {
    if (typeof item !== 'string') continue
    const login = item.trim().replace(/^@/, '').toLowerCase()
    if (login) out.add(login)
  }
  return out
}

/**
 * Remembers the last `size` ids, so an event delivered twice (a platform's at-least-once
 * delivery slipping past the app's dedupe, or a replay after reconnect) is shown once.
 */
export function recentIds(size = 200) {
  const seen = new Set()
  return {
    /** True the first time an id is offered; false for repeats. Events without an id pass. */
    add(id) {
      if (typeof id !== 'string' || !id) return true
      if (seen.has(id)) return false
      seen.add(id)
      if (seen.size > size) seen.delete(seen.values().next().value)
      return true
    },
  }
}
