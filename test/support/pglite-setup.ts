// vitest globalSetup: migrate one PGlite once and dump it, so each test file starts from a copy
// in ~0.3 s instead of running initdb and the migrations (~3 s). The database is a copy of the
// template `npm install` made (src/db/pglite-template.ts), as `npm start` creates one. Three
// projects use this setup and vitest runs their setups one after another in one process: the
// first makes the dump, the others take it (measured alone: about 6 s each, in memory from initdb).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { openNodeDb } from '../../src/db/node.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteDump: string
  }
}

interface Shared {
  dump?: Promise<{ dir: string; path: string }>
  users: number
}
// On globalThis: each project loads this file in a module runner of its own.
const shared: Shared = ((globalThis as { tinycrmPgliteDump?: Shared }).tinycrmPgliteDump ??= {
  users: 0,
})

async function makeDump() {
  const dir = mkdtempSync(join(tmpdir(), 'tinycrm-pglite-'))
  const { pglite, close } = await openNodeDb({ dataDir: join(dir, 'data') })
  try {
    const dump = await pglite!.dumpDataDir('none')
    const path = join(dir, 'migrated.tar')
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()))
    return { dir, path }
  } finally {
    await close()
  }
}

export default async function setup(project: TestProject) {
  shared.dump ??= makeDump()
  shared.users++
  const { dir, path } = await shared.dump
  project.provide('pgliteDump', path)
  return () => {
    if (--shared.users === 0) rmSync(dir, { recursive: true, force: true })
  }
}
