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
  return PLATFORM_LABELS[platform] || platform
}

function str(value) {
  return typeof value === 'string' ? value : ''
}

function int(value, fallback = 0) {
  return Number.isFinite(value) ? Math.trunc(value) : fallback
}

/** Who did it: the display name, else the login, else "Anonymous". */
export function actorName(event) {
  const user = event && typeof event.user === 'object' ? event.user : null
  if (!user) return 'Anonymous'
  return str(user.display_name).trim() || str(user.login).trim() || 'Anonymous'
}

function formatNumber(n, locale) {
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

function plural(n, one, many, locale) {
  return `${formatNumber(n, locale)} ${n === 1 ? one : many}`
}

// One entry per alertable kind: (event, name, locale) → headline. Tables, not if-chains: a new
// kind is one line here (and unknown kinds are simply not shown).
const HEADLINES = {
  follow: (e, name) => `${name} just followed!`,
  subscription: (e, name, locale) => {
    const months = int(e.months, 1)
    if (e.is_gift === true) return `${name} received a gift sub!`
    if (months > 1) return `${name} subscribed for ${plural(months, 'month', 'months', locale)}!`
    return `${name} just subscribed!`
  },
  gift_subscription: (e, name, locale) => {
    const who = e.anonymous === true ? 'Anonymous' : name
    const count = Math.max(1, int(e.count, 1))
    return count === 1 ? `${who} gifted a sub!` : `${who} gifted ${formatNumber(count, locale)} subs!`
  },
  cheer: (e, name, locale) => {
    const who = e.anonymous === true ? 'Anonymous' : name
    return `${who} cheered ${plural(int(e.bits), 'bit', 'bits', locale)}!`
  },
  raid: (e, name, locale) =>
    `${name} is raiding with ${plural(int(e.viewers), 'viewer', 'viewers', locale)}!`,
  donation: (e, name, locale) => `${name} donated ${formatMoney(e.amount, locale)}!`,
  channel_point_redemption: (e, name) => `${name} redeemed ${str(e.reward_title) || 'a reward'}`,
  super_chat: (e, name, locale) => {
    const what = typeof e.sticker_id === 'string' && e.sticker_id ? 'Super Sticker' : 'Super Chat'
    return `${name} sent a ${what} of ${formatMoney(e.amount, locale)}`
  },
  membership: (e, name, locale) => {
    const gifted = int(e.gifted_count)
    const months = int(e.months, 1)
    if (gifted > 0) return `${name} gifted ${plural(gifted, 'membership', 'memberships', locale)}!`
    if (months > 1) return `${name} has been a member for ${plural(months, 'month', 'months', locale)}!`
    return `${name} became a member`
  },
}

/** The kinds the alert box knows how to show. */
export const ALERT_KINDS = Object.freeze(Object.keys(HEADLINES))

/** "Alice just followed!" etc., or null when the event is not something the alert box shows. */
export function alertHeadline(event, locale) {
  if (!event || typeof event !== 'object') return null
  const make = Object.prototype.hasOwnProperty.call(HEADLINES, event.kind) ? HEADLINES[event.kind] : null
  return make ? make(event, actorName(event), locale) : null
}

/** The viewer's own words on an alert (resub/cheer/donation message, redemption input), or "". */
export function alertMessage(event) {
  if (!event || typeof event !== 'object') return ''
  const text = event.kind === 'channel_point_redemption' ? event.user_input : event.message
  return str(text).trim()
}
