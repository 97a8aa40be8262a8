// @vitest-environment node
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { entryCode, pageHtml, pageInputs, readWidgets, widgetPages } from '../widgetPages.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const widgets = readWidgets(path.join(root, 'widgets.json'))

describe('widgets.json', () => {
  it('lists the widget types, each with its component', () => {
    expect(widgets.map((w) => w.type)).toEqual(expect.arrayContaining(['alert_box', 'chat_box']))
    for (const w of widgets) {
      expect(existsSync(path.join(root, w.component)), w.component).toBe(true)
    }
  })

  it('refuses a manifest it cannot build from', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'widgets-'))
    const file = path.join(dir, 'widgets.json')
    writeFileSync(file, JSON.stringify({ widgets: [] }))
    expect(() => readWidgets(file)).toThrow(/no widgets/)
    writeFileSync(file, JSON.stringify({ widgets: [{ type: '../x', title: 'X', component: 'x' }] }))
    expect(() => readWidgets(file)).toThrow(/needs a type/)
  })
})

describe('widget pages', () => {
  const chat = { type: 'chat_box', title: 'Chat <Box>', component: 'src/chat_box/ChatBox.vue' }

  it("a page's HTML: its title and its generated entry, no inline script", () => {
    const html = pageHtml(chat)
    expect(html).toContain('<title>Streampai Chat &lt;Box&gt;</title>')
    expect(html).toContain('<script type="module" src="/@widget-entry/chat_box.js"></script>')
    expect(html).toContain('<div id="app"></div>')
  })

  it("the entry mounts the widget's component", () => {
    const code = entryCode(chat)
    expect(code).toContain("import { mountOverlay } from '/src/shared/mountOverlay.js'")
    expect(code).toContain('import Widget from "/src/chat_box/ChatBox.vue"')
    expect(code).toContain('mountOverlay(Widget)')
  })

  it('one input per widget type, named after it', () => {
    const inputs = pageInputs(widgets, root)
    expect(Object.keys(inputs)).toEqual(widgets.map((w) => w.type))
    expect(inputs.chat_box.endsWith('/chat_box.html')).toBe(true)
  })

  it('the plugin resolves and loads the virtual pages and entries, nothing else', () => {
    const plugin = widgetPages(widgets, root)
    const page = pageInputs(widgets, root).alert_box
    expect(plugin.resolveId(page)).toBe(page)
    expect(plugin.load(page)).toBe(pageHtml(widgets.find((w) => w.type === 'alert_box')))
    const entry = plugin.resolveId('/@widget-entry/alert_box.js')
    expect(entry).toBeTruthy()
    expect(plugin.load(entry)).toContain('/src/alert_box/AlertBox.vue')
    expect(plugin.resolveId('/@widget-entry/nope.js')).toBeNull()
    expect(plugin.resolveId('/src/shared/format.js')).toBeNull()
    expect(plugin.load('/src/shared/format.js')).toBeNull()
  })
})
