// A fresh PGlite data directory costs an initdb in WebAssembly (a second Postgres instance, then
// copying its files in) and every migration: 6–30 s, most of a first `npm start`. So `npm install`
// (scripts/pglite-template.ts) makes one migrated, cleanly closed data directory per PGlite version
// and schema, and a fresh data directory starts as a plain file copy of it. Without the template
// (an install with --ignore-scripts, a new migration since) the server creates the database as
// before, only slower.
import { constants, cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { migrations } from '../../migrations/index.js'

const resolveFromHere = createRequire(import.meta.url).resolve

/** node_modules/.cache/tinycrm/pglite-<version>-<latest migration>: a new PGlite or a new
 *  migration names a new template, so a stale one is never copied. */
export function pgliteTemplateDir(): string {
  const { dir, version } = pglitePackage()
  const latest = Object.keys(migrations).at(-1)!
  return join(dirname(dirname(dir)), '.cache', 'tinycrm', `pglite-${version}-${latest}`)
}

/** PGlite's folder and version (its package.json is not among its exports: found from its entry). */
function pglitePackage(): { dir: string; version: string } {
  let dir = dirname(resolveFromHere('@electric-sql/pglite'))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string }
      if (pkg.name === '@electric-sql/pglite') return { dir, version: pkg.version }
    }
    if (dirname(dir) === dir) throw new Error('@electric-sql/pglite: package.json not found')
    dir = dirname(dir)
  }
}

/** Whether `dataDir` holds no database yet (missing, empty, or only our lock file). */
export function isFreshDataDir(dataDir: string): boolean {
  if (!existsSync(dataDir)) return true
  return !existsSync(join(dataDir, 'PG_VERSION'))
}

/** Whether `npm install` made the template for this PGlite version and schema. */
export function hasPgliteTemplate(): boolean {
  return existsSync(join(pgliteTemplateDir(), 'PG_VERSION'))
}

/** Copies the template into a fresh data directory; false when there is no template. */
export function copyPgliteTemplate(dataDir: string): boolean {
  if (!hasPgliteTemplate()) return false
  const template = pgliteTemplateDir()
  // A clone where the filesystem can (APFS, btrfs, XFS): no bytes copied; elsewhere a copy.
  const mode = constants.COPYFILE_FICLONE
  for (const name of readdirSync(template)) {
    cpSync(join(template, name), join(dataDir, name), { recursive: true, mode })
  }
  return true
}
