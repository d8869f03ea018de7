// `npm install` runs this (postinstall): makes the migrated PGlite data directory a fresh
// `npm start` copies instead of running initdb and every migration (src/db/pglite-template.ts).
// Does nothing when the template for this PGlite version and schema exists. Built beside its final
// place and renamed into it, so a half-made template is never copied.
import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { openNodeDb } from '../src/db/node.js'
import { pgliteTemplateDir } from '../src/db/pglite-template.js'

const target = pgliteTemplateDir()
if (existsSync(join(target, 'PG_VERSION'))) process.exit(0)
const started = performance.now()
const building = `${target}.building-${process.pid}`
rmSync(building, { recursive: true, force: true })
try {
  const { close } = await openNodeDb({ dataDir: building })
  await close()
  // The lock file is this process's; a copy must not carry it.
  rmSync(join(building, 'tinycrm.lock'), { force: true })
  try {
    renameSync(building, target)
  } catch (err) {
    // Another install made it meanwhile: theirs is as good.
    if (!existsSync(join(target, 'PG_VERSION'))) throw err
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10
  console.log(`TinyCRM: database template ready (${seconds} s), a first npm start copies it`)
} finally {
  rmSync(building, { recursive: true, force: true })
}
