// Bundled icons for the chat box: platform logos and chat badges, as SVG shape data that ChatIcon.vue
// draws. Nothing here is fetched: OBS may be offline, and the page loads only from 'self'.
//
// Platform glyphs are from Simple Icons (CC0 1.0, simpleicons.org), with a backing shape so each
// reads well on any background. The badge glyphs are drawn for Streampai.
// Each icon: { viewBox, shapes: [{ d, fill } | { d, stroke, width }] } — constant data only.

const WHITE = '#ffffff'

export const PLATFORM_COLORS = Object.freeze({
  twitch: '#9146ff',
  youtube: '#ff0000',
  kick: '#53fc18',
  facebook: '#1877f2',
  streampai: '#7c5cff',
})
export const NEUTRAL_PLATFORM_COLOR = '#8c8c99'

export const PLATFORM_ICONS = Object.freeze({
  twitch: {
    viewBox: '0 0 24 24',
    shapes: [
      { d: 'M6.857 1.714h13.714v9.429l-3.428 3.428h-3.429l-3 3v-3H6.857z', fill: WHITE },
      {
        d: 'M11.571 4.714h1.715v5.143H11.57zm4.715 0H18v5.143h-1.714zM6 0L1.714 4.286v15.428h5.143V24l4.286-4.286h3.428L22.286 12V0zm14.571 11.143l-3.428 3.428h-3.429l-3 3v-3H6.857V1.714h13.714Z',
        fill: PLATFORM_COLORS.twitch,
      },
    ],
  },
  youtube: {
    viewBox: '0 0 24 24',
    shapes: [
      { d: 'M8.5 7.5h8v9h-8z', fill: WHITE },
      {
        d: 'M23.498 6.186a3.016 3.016 0 0 0-2.122-2.136C19.505 3.545 12 3.545 12 3.545s-7.505 0-9.377.505A3.017 3.017 0 0 0 .502 6.186C0 8.07 0 12 0 12s0 3.93.502 5.814a3.016 3.016 0 0 0 2.122 2.136c1.871.505 9.376.505 9.376.505s7.505 0 9.377-.505a3.015 3.015 0 0 0 2.122-2.136C24 15.93 24 12 24 12s0-3.93-.502-5.814zM9.545 15.568V8.432L15.818 12l-6.273 3.568z',
        fill: PLATFORM_COLORS.youtube,
      },
    ],
  },
  kick: {
    viewBox: '0 0 24 24',
    shapes: [
      { d: 'M4 0h16a4 4 0 0 1 4 4v16a4 4 0 0 1-4 4H4a4 4 0 0 1-4-4V4a4 4 0 0 1 4-4z', fill: '#0b0e0f' },
      {
        d: 'M5.6 4.8h4.8v3.2H12V6.4h1.6V4.8h4.8v4.8H16.8v1.6h-1.6v1.6H16.8V14.4h1.6v4.8h-4.8v-1.6H12v-1.6H10.4V19.2h-4.8Z',
        fill: PLATFORM_COLORS.kick,
      },
    ],
  },
  streampai: {
    viewBox: '0 0 24 24',
    shapes: [
      { d: 'M5 0h14a5 5 0 0 1 5 5v14a5 5 0 0 1-5 5H5a5 5 0 0 1-5-5V5a5 5 0 0 1 5-5z', fill: PLATFORM_COLORS.streampai },
      { d: 'M13.6 3.5 6.5 13.4h4.6l-1.2 7.1 7.6-10.2h-4.8z', fill: WHITE },
    ],
  },
  facebook: {
    viewBox: '0 0 24 24',
    shapes: [
      { d: 'M12 .4a11.6 11.6 0 1 1 0 23.2a11.6 11.6 0 1 1 0-23.2z', fill: WHITE },
      {
        d: 'M9.101 23.691v-7.98H6.627v-3.667h2.474v-1.58c0-4.085 1.848-5.978 5.858-5.978.401 0 .955.042 1.468.103a8.68 8.68 0 0 1 1.141.195v3.325a8.623 8.623 0 0 0-.653-.036 26.805 26.805 0 0 0-.733-.009c-.707 0-1.259.096-1.675.309a1.686 1.686 0 0 0-.679.622c-.258.42-.374.995-.374 1.752v1.297h3.919l-.386 2.103-.287 1.564h-3.246v8.245C19.396 23.238 24 18.179 24 12.044c0-6.627-5.373-12-12-12s-12 5.373-12 12c0 5.628 3.874 10.35 9.101 11.647Z',
        fill: PLATFORM_COLORS.facebook,
      },
    ],
  },
})

const TILE = 'M3 0h10a3 3 0 0 1 3 3v10a3 3 0 0 1-3 3H3a3 3 0 0 1-3-3V3a3 3 0 0 1 3-3z'
const tile = (fill, ...glyph) => ({ viewBox: '0 0 16 16', shapes: [{ d: TILE, fill }, ...glyph] })
const CHECK = { d: 'M4.4 8.4 6.9 10.9 11.6 5.4', stroke: WHITE, width: 2 }

export const BADGE_ICONS = Object.freeze({
  broadcaster: tile('#e91916', {
    d: 'M3 6a1 1 0 0 1 1-1h5a1 1 0 0 1 1 1v4a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1zM10.8 7.6l2.7-2.1v5l-2.7-2.1z',
    fill: WHITE,
  }),
  moderator: tile(
    '#00ad03',
    { d: 'M5.6 10.4 12.6 3.4', stroke: WHITE, width: 2 },
    { d: 'M4 8.4 7.6 12', stroke: WHITE, width: 1.6 },
    { d: 'M3.2 12.8 5 11', stroke: WHITE, width: 2 },
  ),
  vip: tile('#e005b9', { d: 'M5.2 3.6h5.6l2.6 3.1L8 12.8 2.6 6.7z', fill: WHITE }),
  subscriber: tile('#8205b4', {
    d: 'M8 2.8L9.47 6.58L13.52 6.81L10.38 9.37L11.41 13.29L8 11.1L4.59 13.29L5.62 9.37L2.48 6.81L6.53 6.58z',
    fill: WHITE,
  }),
  founder: tile('#d98e04', {
    d: 'M3.2 11 2.6 5.2 5.6 7.6 8 3.6 10.4 7.6 13.4 5.2 12.8 11zM3.2 12h9.6v1.4H3.2z',
    fill: WHITE,
  }),
  verified: tile('#1d9bf0', CHECK),
  partner: tile('#9146ff', CHECK),
})

// Other names the platforms use for the same roles (YouTube "owner"/"member", Kick "og"…).
const BADGE_ALIASES = Object.freeze({
  owner: 'broadcaster',
  host: 'broadcaster',
  mod: 'moderator',
  member: 'subscriber',
  sponsor: 'subscriber',
  sub_gifter: null,
  og: 'founder',
  staff: null,
})

/** The bundled icon's key for a badge set id, or null (shown as a text chip). */
export function badgeIconKey(setId) {
  if (typeof setId !== 'string') return null
  const id = setId.toLowerCase()
  if (Object.prototype.hasOwnProperty.call(BADGE_ICONS, id)) return id
  if (Object.prototype.hasOwnProperty.call(BADGE_ALIASES, id)) return BADGE_ALIASES[id]
  return null
}

/** The platform's brand colour (for the `platform` theme's left border). */
export function platformColor(platform) {
  return typeof platform === 'string' && Object.prototype.hasOwnProperty.call(PLATFORM_COLORS, platform)
    ? PLATFORM_COLORS[platform]
    : NEUTRAL_PLATFORM_COLOR
}
