// One HTML entry per widget type, generated from widgets.json (the app's widget registry, written
// by `python -m streampai_desktop.widgets.manifest`): adding a widget type is its spec module in
// the app plus its Vue component here, no HTML file and no list to keep.
//
// Each page `{type}.html` loads a small generated entry module that mounts the widget's component
// with mountOverlay(). Both are virtual (nothing is written next to the sources); the build emits
// `{type}.html`, which the server serves as /overlay/{type}.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { normalizePath } from 'vite'

const TYPE = /^[a-z][a-z0-9_]*$/
const ENTRY_PREFIX = '/@widget-entry/'
const RESOLVED_ENTRY_PREFIX = '\0widget-entry:'

/** The widget types of widgets.json: [{ type, title, component }], checked. */
export function readWidgets(file) {
  const { widgets } = JSON.parse(readFileSync(file, 'utf8'))
  if (!Array.isArray(widgets) || widgets.length === 0) {
    throw new Error(`${file}: no widgets listed`)
  }
  if (!widgets.every(isWidget)) {
    throw new Error(`${file}: a widget needs a type (a-z, 0-9, _), a title and a component`)
  }
  return widgets
}

const isWidget = (w) =>
  TYPE.test(w?.type ?? '') && typeof w.title === 'string' && typeof w.component === 'string'

const escapeHtml = (text) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

/** The page of one widget type, before Vite adds its bundle. */
export function pageHtml(widget) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <!-- An empty data: icon stops the browser asking the server for /favicon.ico. -->
    <link rel="icon" href="data:," />
    <title>Streampai ${escapeHtml(widget.title)}</title>
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="${ENTRY_PREFIX}${widget.type}.js"></script>
  </body>
</html>
`
}

/** The page's script: mount the widget's component on the overlay socket. */
export function entryCode(widget) {
  return `import { mountOverlay } from '/src/shared/mountOverlay.js'
import Widget from ${JSON.stringify(`/${widget.component}`)}

mountOverlay(Widget)
`
}

/** Rolldown's input: page name → (virtual) HTML file under ``root``. */
export function pageInputs(widgets, root) {
  return Object.fromEntries(widgets.map((w) => [w.type, pagePath(root, w)]))
}

const pagePath = (root, widget) => normalizePath(path.join(root, `${widget.type}.html`))

/** The Vite plugin that provides the pages (build and dev server) and their entry modules. */
export function widgetPages(widgets, root) {
  const pages = new Map(widgets.map((w) => [pagePath(root, w), w]))
  const entries = new Map(widgets.map((w) => [w.type, w]))
  const byUrl = new Map(widgets.flatMap((w) => [[`/${w.type}.html`, w], [`/${w.type}`, w]]))
  return {
    name: 'streampai-widget-pages',
    enforce: 'pre',
    resolveId(id) {
      if (pages.has(normalizePath(id))) return normalizePath(id)
      if (id.startsWith(ENTRY_PREFIX)) {
        const type = id.slice(ENTRY_PREFIX.length).replace(/\.js$/, '')
        if (entries.has(type)) return `${RESOLVED_ENTRY_PREFIX}${type}`
      }
      return null
    },
    load(id) {
      if (pages.has(normalizePath(id))) return pageHtml(pages.get(normalizePath(id)))
      if (id.startsWith(RESOLVED_ENTRY_PREFIX)) {
        const widget = entries.get(id.slice(RESOLVED_ENTRY_PREFIX.length))
        if (widget) return entryCode(widget)
      }
      return null
    },
    // `npm run dev`: serve /overlay/{type}(.html) from the same template. Added after Vite's own
    // middlewares (which strip the /overlay/ base), before its 404.
    configureServer(server) {
      return () => {
        server.middlewares.use(async (req, res, next) => {
          const widget = byUrl.get((req.url || '').split('?')[0])
          if (!widget) return next()
          try {
            const html = await server.transformIndexHtml(req.url, pageHtml(widget), req.originalUrl)
            res.setHeader('Content-Type', 'text/html')
            res.end(html)
          } catch (err) {
            next(err)
          }
        })
      }
    },
  }
}
