// A database as an older version left it, for the tests of a migration that changes existing data:
// an in-memory PGlite migrated up to (and including) a named migration, so a test can write rows
// the old way and then run the rest (`toLatest`).
import { afterAll, beforeAll } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { Kysely, PGliteDialect } from 'kysely'
import { Migrator } from 'kysely/migration'
import { migrations } from '../../migrations/index.js'
import type { Database } from '../../src/db/schema.js'

export interface MigratedDb {
  db: Kysely<Database>
  /** Runs every migration after the one named. */
  toLatest(): Promise<void>
}

/** Opens the database before the file's tests and closes it after them. */
export function useDbMigratedTo(name: string): MigratedDb {
  const t = {} as MigratedDb
  const migrator = () =>
    new Migrator({ db: t.db, provider: { getMigrations: async () => migrations } })
  const run = async (step: Promise<{ error?: unknown }>) => {
    const { error } = await step
    if (error) throw error
  }
  beforeAll(async () => {
    const pglite = await PGlite.create('memory://', {
      parsers: { 20: (v: string) => Number(v) },
      extensions: { pg_trgm },
    })
    t.db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
    await run(migrator().migrateTo(name))
  })
  afterAll(() => t.db.destroy())
  t.toLatest = () => run(migrator().migrateToLatest())
  return t
}
