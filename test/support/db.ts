// Test databases: a fresh migrated PGlite per call (from the dump made by ./pglite-setup.ts),
// with every SQL statement the app sends recorded, so tests can count round trips.
import { readFileSync } from 'node:fs'
import { inject } from 'vitest'
import { openNodeDb, type NodeDb } from '../../src/db/node.js'

export interface TestDb extends NodeDb {
  /** Every statement sent since the last `statements.length = 0`. */
  statements: string[]
}

export async function openTestDb(): Promise<TestDb> {
  const statements: string[] = []
  const dump = new Blob([readFileSync(inject('pgliteDump'))])
  const node = await openNodeDb({
    dataDir: 'memory://',
    loadDataDir: dump,
    log: (event) => {
      statements.push(event.query.sql)
    },
  })
  statements.length = 0
  return { ...node, statements }
}
