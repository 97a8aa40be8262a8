// Reading widget config values defensively: the config comes from the app (and, through sync,
// from another computer), so a missing or mistyped value falls back to the widget's default.

/** An integer setting clamped to [min, max], or `fallback` when absent or not a number. */
export function intSetting(config, key, fallback, min, max) {
  const value = config && typeof config === 'object' ? config[key] : undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.round(value)))
}

/** A string setting, or `fallback`. */
export function stringSetting(config, key, fallback) {
  const value = config && typeof config === 'object' ? config[key] : undefined
  return typeof value === 'string' && value ? value : fallback
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
