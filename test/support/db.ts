// Test databases: a fresh migrated PGlite per call (from the dump made by ./pglite-setup.ts),
// with every SQL statement the app sends recorded, so tests can count round trips; and the app on
// one, for a test file's requests.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, inject } from 'vitest'
import { createApp, type App } from '../../src/app.js'
import type { AppDeps } from '../../src/env.js'
import { openNodeDb, type NodeDb } from '../../src/db/node.js'
import { listen } from './loopback.js'

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

export interface TestApp extends TestDb {
  app: App
  /** Where the app answers over HTTP, with `listen`. */
  baseUrl: string
}

/** A fresh test database, opened before this file's tests and closed after them. The returned
 *  object is filled in by then: read its fields inside hooks and tests. */
export function useTestDb(): TestDb {
  const t = {} as TestDb
  beforeAll(async () => {
    Object.assign(t, await openTestDb())
  })
  afterAll(() => t.close())
  return t
}

/** The app on a fresh test database (see `useTestDb`); with `listen`, served on a loopback port
 *  too (stopped before the database closes). */
export function useTestApp(options: Omit<AppDeps, 'db'> & { listen?: boolean } = {}): TestApp {
  const { listen: served, ...deps } = options
  const t = useTestDb() as TestApp
  let stop = async () => {}
  beforeAll(async () => {
    t.app = createApp({ db: t.db, ...deps })
    if (served) {
      const listening = await listen(t.app.fetch)
      t.baseUrl = listening.baseUrl
      stop = listening.close
    }
  })
  afterAll(() => stop())
  return t
}
