// Bundles the Node server (src/node.ts) into dist/node.js, and the command-line tool
// (src/cli/main.ts) into dist/cli.js, with esbuild, when any file a bundle is made of is newer
// than it: tsx compiled ~150 TypeScript files and loaded some 400 modules of dependencies on every
// start (seconds on a busy machine); one bundled file loads in a fraction. `npm start`
// (scripts/start.mjs), `npm run tinycrm` (scripts/tinycrm.mjs) and `npm install` (postinstall)
// call it.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER_BUNDLE = join(root, 'dist/node.js')
export const CLI_BUNDLE = join(root, 'dist/cli.js')
/** PGlite's thread (src/db/pglite-thread.ts starts it from beside the bundle that does). */
const PGLITE_WORKER = ['src/db/pglite-worker.ts', join(root, 'dist/pglite-worker.js')]

/** Builds dist/node.js unless it is up to date; returns whether it built. */
export const buildServer = () =>
  buildBundles([['src/node.ts', SERVER_BUNDLE], PGLITE_WORKER], () =>
    console.log('TinyCRM: building the server (dist/node.js)…'),
  )

/** Builds dist/cli.js unless it is up to date; returns whether it built. It says so on stderr:
 *  a command's stdout is its answer (a key, a list), which scripts read. */
export const buildCli = () =>
  buildBundles([['src/cli/main.ts', CLI_BUNDLE], PGLITE_WORKER], () =>
    console.error('TinyCRM: building the command-line tool (dist/cli.js)…'),
  )

/** Builds each [entry, outfile] that is not up to date (the worker, shared by both, once). */
async function buildBundles(bundles, say) {
  const stale = bundles.filter(([, outfile]) => isStale(outfile))
  if (!stale.length) return false
  say()
  for (const [entry, outfile] of stale) await buildBundle(entry, outfile)
  return true
}

async function buildBundle(entry, outfile) {
  const { build } = await import('esbuild')
  mkdirSync(dirname(outfile), { recursive: true })
  const { outputFiles } = await build({
    entryPoints: [join(root, entry)],
    outfile,
    // Written below, each file whole under its name at once: a second process starting while
    // this one builds (two CLI commands, a CLI beside `npm start`) reads the old file or the new.
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // PGlite finds its .wasm and .data beside its own files; pg may require its optional native
    // binding. Everything else is in the bundle (one file parses faster than hundreds).
    external: ['@electric-sql/pglite', 'pg'],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';const require = __createRequire(import.meta.url);",
    },
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // Half the bytes to parse on every start (1.3 MB → 0.68 MB): warm starts, alternated on the
    // same data directory, 763–919 ms → 694–859 ms. Names kept: errors and logs name classes and
    // functions as in the source; the linked source map gives the lines.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  for (const file of outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`
    writeFileSync(temporary, file.contents)
    renameSync(temporary, file.path)
  }
}

/** Whether any file the bundle is made of is newer than it (or it is missing). */
function isStale(outfile) {
  let built
  try {
    built = statSync(outfile).mtimeMs
  } catch {
    return true
  }
  const newer = (path) => {
    const stat = statSync(path)
    if (!stat.isDirectory()) return stat.mtimeMs > built
    return readdirSync(path).some((name) => newer(join(path, name)))
  }
  const inputs = [
    'src',
    'migrations',
    'views',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'scripts/build-server.mjs',
  ]
  return inputs.some((input) => newer(join(root, input)))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildServer()
