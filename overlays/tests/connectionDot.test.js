import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import ConnectionDot from '../src/shared/ConnectionDot.vue'

describe('ConnectionDot', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('is absent while connected and appears only after 3 s disconnected', async () => {
    const w = mount(ConnectionDot, { props: { connected: true } })
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: false })
    vi.advanceTimersByTime(2900)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: true }) // a blip: never shown
    vi.advanceTimersByTime(5000)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
    await w.setProps({ connected: false })
    vi.advanceTimersByTime(3000)
    await nextTick()
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(true)
    await w.setProps({ connected: true })
    expect(w.find('[data-testid="connection-dot"]').exists()).toBe(false)
  })
})
