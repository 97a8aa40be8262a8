// Turning events (streampai_desktop/core/events.py, as JSON) into the words an overlay shows.
//
// Everything here returns plain strings that the components interpolate as text ({{ }}); nothing
// here ever builds HTML. Event payloads come from chat and from platforms, so every field is
// checked for its type before use and a missing or odd field degrades to a sensible default.

export const PLATFORM_LABELS = {
  twitch: 'Twitch',
  youtube: 'YouTube',
  kick: 'Kick',
  facebook: 'Facebook',
  streampai: 'Streampai',
}

/** "Twitch" for "twitch"; an unknown platform's own name (as text) otherwise. */
export function platformLabel(platform) {
  if (typeof platform !== 'string') return ''
  return Object.prototype.hasOwnProperty.call(PLATFORM_LABELS, platform)
    ? PLATFORM_LABELS[platform]
    : platform
}

export function str(value) {
  return typeof value === 'string' ? value : ''
}

export function int(value, fallback = 0) {
  return Number.isFinite(value) ? Math.trunc(value) : fallback
}

/** Who did it: the display name, else the login, else "Anonymous". */
export function actorName(event) {
  const user = event && typeof event.user === 'object' ? event.user : null
  if (!user) return 'Anonymous'
  return str(user.display_name).trim() || str(user.login).trim() || 'Anonymous'
}

/** A whole number for people: 2500 → "2,500" (in the page's locale). */
export function formatNumber(n, locale) {
  try {
    return new Intl.NumberFormat(locale).format(n)
  } catch {
    return String(n)
  }
}

/**
 * An amount `{minor, currency}` as money: `{minor: 500, currency: "USD"}` → "$5.00".
 * The currency's own number of decimals (JPY 0, USD 2, KWD 3) decides how minor units scale.
 */
export function formatMoney(amount, locale) {
  if (!amount || typeof amount !== 'object') return ''
  const minor = int(amount.minor, NaN)
  const currency = str(amount.currency).toUpperCase()
  if (!Number.isFinite(minor)) return ''
  if (!/^[A-Z]{3}$/.test(currency)) return formatNumber(minor / 100, locale)
  let fmt
  try {
    fmt = new Intl.NumberFormat(locale, { style: 'currency', currency })
  } catch {
    // an unknown locale or currency: still show a number and the code
    return `${(minor / 100).toFixed(2)} ${currency}`
  }
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2
  return fmt.format(minor / 10 ** digits)
}
