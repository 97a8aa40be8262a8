// The fonts a streamer can pick (docs/overlay-protocol.md). Each is bundled (fonts.css) and
// paired with a fallback stack for characters outside the latin subset (names in Cyrillic, CJK,
// emoji…), which the system's fonts then draw.
import './fonts.css'

const STACKS = {
  Inter: "'Inter', system-ui, 'Segoe UI', Roboto, Arial, sans-serif",
  Roboto: "'Roboto', system-ui, 'Segoe UI', Arial, sans-serif",
  Montserrat: "'Montserrat', system-ui, 'Segoe UI', Arial, sans-serif",
  Bangers: "'Bangers', Impact, 'Arial Black', system-ui, sans-serif",
  'Press Start 2P': "'Press Start 2P', ui-monospace, 'Courier New', monospace",
  'Permanent Marker': "'Permanent Marker', 'Comic Sans MS', cursive, system-ui, sans-serif",
}

/** The families in the contract, in the order the settings list them. */
export const FONT_FAMILIES = Object.freeze(Object.keys(STACKS))

/** The CSS `font-family` value for a family from the list (callers validate the name first). */
export function fontStack(family) {
  return STACKS[family] || STACKS.Inter
}

/**
 * Ask the browser to fetch a face before it is needed (an alert's headline should not flash in a
 * fallback font). Harmless where the Font Loading API is missing (jsdom) or the face fails.
 */
export function preloadFont(family, weight = 400, doc = globalThis.document) {
  const fonts = doc?.fonts
  if (!fonts || typeof fonts.load !== 'function' || !STACKS[family]) return
  try {
    const p = fonts.load(`${weight} 32px '${family}'`)
    if (p && typeof p.catch === 'function') p.catch(() => {})
  } catch {
    // an old browser that rejects the shorthand: the face still loads on first use
  }
}
