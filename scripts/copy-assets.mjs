// Copies the pinned htmx build from node_modules into public/assets/vendor/, which the Node server and
// the Worker's static assets both serve, bundles the customers table's browser code (the filter
// builder shares the parser's readers, so it is TypeScript from the repository) into
// public/assets/build/, and packs the SDK into public/sdk/ (see pack-sdk.mjs). Runs before start,
// dev, test and deploy (see package.json). Each step is skipped when its output is newer than
// everything it is made of: `npm start` runs this on every start, and bundling costs a child
// process and half a second of CPU that an unchanged checkout never needs.
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packSdk } from './pack-sdk.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

const htmxSource = join(dirname(require.resolve('htmx.org/package.json')), 'dist/htmx.min.js')
const htmxCopy = join(root, 'public/assets/vendor/htmx.min.js')
if (mtime(htmxCopy) < mtime(htmxSource)) {
  mkdirSync(dirname(htmxCopy), { recursive: true })
  copyFileSync(htmxSource, htmxCopy)
}

const browserEntry = join(root, 'views/customers/browser/main.ts')
const browserBundle = join(root, 'public/assets/build/customers.js')
// The files the last build read (esbuild's metafile), kept out of public/: the bundle is stale
// when any of them (or this script) is newer than it, or when the list is missing.
const browserInputs = join(root, 'dist/customers-browser.inputs.json')

function browserBundleIsStale() {
  const built = mtime(browserBundle)
  let inputs
  try {
    inputs = JSON.parse(readFileSync(browserInputs, 'utf8'))
  } catch {
    return true
  }
  const files = [...inputs, 'scripts/copy-assets.mjs', 'package-lock.json']
  return files.some((file) => mtime(join(root, file)) >= built)
}

if (browserBundleIsStale()) {
  const { buildSync } = await import('esbuild')
  const { metafile } = buildSync({
    entryPoints: [browserEntry],
    outfile: browserBundle,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
    metafile: true,
  })
  mkdirSync(dirname(browserInputs), { recursive: true })
  writeFileSync(browserInputs, JSON.stringify(Object.keys(metafile.inputs)))
}
packSdk()
