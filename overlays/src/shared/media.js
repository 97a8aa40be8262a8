// URLs the pages load from the app: media files (alert images, GIFs, videos, sounds) and the
// page's own token. URLs are only ever built from refs that match a strict shape, so a config value
// cannot point a page anywhere but the app's own /overlay/media/ route.

// `builtin/{name}` (bundled defaults) or `user/{sha256}.{ext}` (files the streamer picked).
const BUILTIN_REF = /^builtin\/[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$/
const USER_REF = /^user\/[0-9a-f]{64}\.[A-Za-z0-9]{1,8}$/
const VIDEO_EXT = /\.(mp4|webm)$/i

/** The overlay token from the page's own URL (`?token=`), or "". */
export function pageToken(loc = globalThis.location) {
  try {
    return new URLSearchParams(loc?.search || '').get('token') || ''
  } catch {
    return ''
  }
}

/** True when `ref` is a media ref the app could serve (and safe to put in a URL path). */
export function isMediaRef(ref) {
  return typeof ref === 'string' && !ref.includes('..') && (BUILTIN_REF.test(ref) || USER_REF.test(ref))
}

/** `/overlay/media/{ref}?token=…`, or null for an empty or invalid ref (→ no element at all). */
export function mediaUrl(ref, token) {
  if (!isMediaRef(ref)) return null
  return `/overlay/media/${ref}?token=${encodeURIComponent(token || '')}`
}

/** Videos are played by a muted `<video>`, everything else is an `<img>` (PNG, GIF, WebP, SVG). */
export function isVideoRef(ref) {
  return typeof ref === 'string' && VIDEO_EXT.test(ref)
}
