// Packs the SDK (sdk/, `npm pack`, whose prepack builds sdk/dist/) into public/sdk/tinycrm-sdk.tgz.
// The Node server and the Worker's static assets both serve that file at /sdk/tinycrm-sdk.tgz, so
// `npm install <server URL>/sdk/tinycrm-sdk.tgz` installs the SDK of the very version the server runs.
// Runs before start, dev, test and deploy (through copy-assets.mjs), and does nothing when the
// tarball is newer than every file it is made of, so an already-built `npm start` does not wait.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sdkDir = join(root, 'sdk')
export const SDK_TARBALL = join(root, 'public/sdk/tinycrm-sdk.tgz')

/** Every file the tarball is made of (what `files` packs, and what builds it). */
function inputs() {
  const named = ['package.json', 'README.md', 'LICENSE', 'tsconfig.build.json']
  const sources = readdirSync(join(sdkDir, 'src')).map((name) => join('src', name))
  return [...named, ...sources].map((path) => join(sdkDir, path))
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

/** Packs the SDK unless the tarball is up to date; returns whether it packed. */
export function packSdk({ force = false } = {}) {
  const built = mtime(SDK_TARBALL)
  if (!force && inputs().every((path) => mtime(path) < built)) return false

  const outDir = dirname(SDK_TARBALL)
  mkdirSync(outDir, { recursive: true })
  // npm's notices go to stderr: shown only if packing fails (execFileSync then throws with them).
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    cwd: sdkDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
  })
  // The prepack script's output comes first; npm's report is the JSON array after it.
  const [{ filename, version }] = JSON.parse(json.slice(json.search(/^\[/m)))
  // One name for every version, replaced in one step: a running server never serves half a file.
  renameSync(join(outDir, filename), SDK_TARBALL)
  console.log(`tinycrm-sdk ${version} packed into ${relative(root, SDK_TARBALL)}`)
  return true
}

if (process.argv[1] === fileURLToPath(import.meta.url)) packSdk()
