// `npm install` runs this (postinstall): everything a first `npm start` would otherwise do before
// it can serve, so a fresh clone starts as fast as a warm one. Each step is optional: when one
// fails (an install without dev dependencies, a read-only cache) `npm start` does it itself,
// more slowly, and says so.
//  1. dist/node.js and dist/cli.js, the bundled server and command-line tool (build-server.mjs);
//  2. public/'s built files: htmx, the customers table's script, the packed SDK (copy-assets.mjs;
//     packing the SDK compiles it: seconds of a first start);
//  3. the migrated PGlite template a fresh data directory is copied from (pglite-template.ts, run
//     by tsx: it imports the server's TypeScript).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCli, buildServer } from './build-server.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

async function step(what, fallback, run) {
  try {
    await run()
  } catch (err) {
    console.warn(`TinyCRM: ${what} failed (${err.message.split('\n')[0]}): ${fallback}`)
  }
}

await step('building the server', 'npm start builds it', buildServer)
await step('building the command-line tool', 'npm run tinycrm builds it', buildCli)
await step('preparing public/', 'npm start prepares it', () => import('./copy-assets.mjs'))
await step('making the database template', 'npm start creates the database, more slowly', () => {
  const tsxCli = join(
    dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
    'dist/cli.mjs',
  )
  const { status, error } = spawnSync(process.execPath, [tsxCli, 'scripts/pglite-template.ts'], {
    cwd: root,
    stdio: 'inherit',
  })
  if (error) throw error
  if (status !== 0) throw new Error(`exit code ${status}`)
})
