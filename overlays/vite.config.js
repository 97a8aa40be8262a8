// Multi-page build of the overlay widgets. Each widget type is one HTML entry, generated from
// widgets.json (see widgetPages.js); the output lands inside the Python package
// (streampai_desktop/server/overlay_dist), where the overlay server serves /overlay/{widget} from
// {widget}.html and /overlay/assets/{name} from assets/.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { pageInputs, readWidgets, widgetPages } from './widgetPages.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const root = here('.')
// The page name is the widget type (also the server's /overlay/{widget}).
const widgets = readWidgets(here('./widgets.json'))

export default defineConfig(({ mode }) => ({
  root,
  // Pages, not a single-page app: the dev server answers an unknown page with 404.
  appType: 'mpa',
  plugins: [vue(), widgetPages(widgets, root)],
  // Asset URLs in the HTML are absolute under /overlay/, where the server mounts the bundle.
  base: '/overlay/',
  // Vue's compile-time flags: smaller bundles, no devtools hooks on stream. Left alone under
  // Vitest so @vue/test-utils gets the full runtime.
  define:
    mode === 'test'
      ? {}
      : {
          __VUE_OPTIONS_API__: 'false',
          __VUE_PROD_DEVTOOLS__: 'false',
          __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
        },
  build: {
    outDir: '../streampai_desktop/server/overlay_dist',
    emptyOutDir: true,
    // The server's CSP is `script-src 'self'`: the modulepreload polyfill would be an inline
    // script, and OBS's Chromium supports modulepreload natively anyway.
    modulePreload: { polyfill: false },
    // Small images may become data: URLs (img-src allows data:); fonts never do, because the CSP's
    // font-src is 'self' only, and a font should load only when a page actually uses it.
    assetsInlineLimit: (file) => (/\.(woff2?|ttf|otf)$/i.test(file) ? false : undefined),
    // The server serves assets/ flat (no sub-folders), so keep every file directly in assets/.
    assetsDir: 'assets',
    target: 'es2020',
    reportCompressedSize: true,
    rolldownOptions: {
      input: pageInputs(widgets, root),
      output: {
        // Vue and src/shared/ in one chunk every page shares (named for what it is, not after
        // whichever module the bundler happened to pick); each page adds only its widget.
        codeSplitting: {
          groups: [{ name: 'shared', test: /node_modules|[\\/]src[\\/]shared[\\/]/ }],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.js'],
    restoreMocks: true,
  },
}))
