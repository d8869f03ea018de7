// Copies the pinned htmx build from node_modules into public/assets/vendor/, which the Node server and
// the Worker's static assets both serve, bundles the customers table's browser code (the filter
// builder shares the parser's readers, so it is TypeScript from the repository) into
// public/assets/build/, and packs the SDK into public/sdk/ (see pack-sdk.mjs). Runs before start,
// dev, test and deploy (see package.json).
import { buildSync } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packSdk } from './pack-sdk.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const htmxDir = dirname(require.resolve('htmx.org/package.json'))
mkdirSync(join(root, 'public/assets/vendor'), { recursive: true })
copyFileSync(join(htmxDir, 'dist/htmx.min.js'), join(root, 'public/assets/vendor/htmx.min.js'))
buildSync({
  entryPoints: [join(root, 'views/customers/browser/main.ts')],
  outfile: join(root, 'public/assets/build/customers.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
})
packSdk()
