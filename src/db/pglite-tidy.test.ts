// PGlite runs no autovacuum: the Node server's own check (./pglite-tidy.ts) vacuums a table whose
// dead row versions pass autovacuum's threshold, so rewriting the same rows does not grow the data
// directory for good, and leaves a table under the threshold alone. On a data directory, as
// `npm start` opens it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openNodeDb, type NodeDb } from './node.js'
import { tidyTables } from './pglite-tidy.js'

let dir: string
let node: NodeDb
let pglite: PGlite
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tinycrm-tidy-'))
  node = await openNodeDb({ dataDir: dir })
  pglite = node.pglite!
  // Rows like the relations pings rewrite: a key, a timestamp and some params.
  for (const t of ['rewritten', 'quiet']) {
    await pglite.exec(`CREATE TABLE ${t} (id int PRIMARY KEY, seen timestamptz, params jsonb);
      CREATE INDEX ${t}_seen_idx ON ${t} (seen);
      INSERT INTO ${t} SELECT g, now(), jsonb_build_object('plan', 'pro', 'n', g)
        FROM generate_series(1, 2000) g;
      ANALYZE ${t}`)
  }
}, 60_000)
afterAll(async () => {
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The server's statistics as the next check reads them (they are sent at a transaction's end,
 *  at most once a second unless asked). */
async function flushStats() {
  await pglite.query('SELECT pg_stat_force_next_flush()')
  await pglite.query('SELECT 1')
}

const bytes = async (table: string) =>
  Number((await pglite.query<{ n: number }>(`SELECT pg_table_size('${table}') AS n`)).rows[0]!.n)

const vacuumed = async (table: string) =>
  (
    await pglite.query<{ at: Date | null }>(
      `SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE relname = '${table}'`,
    )
  ).rows[0]!.at !== null

describe('tidyTables: what autovacuum would do, on PGlite', () => {
  it('vacuums only a table past 50 + a fifth of its rows dead, and then finds nothing to do', async () => {
    await pglite.exec(`UPDATE rewritten SET seen = now() WHERE id <= 500;
      UPDATE quiet SET seen = now() WHERE id <= 300`) // 500 > 450 dead; 300 < 450
    await flushStats()
    expect(await tidyTables(pglite)).toBe('VACUUM (ANALYZE) rewritten')
    expect(await vacuumed('rewritten')).toBe(true)
    expect(await vacuumed('quiet')).toBe(false)
    await flushStats()
    expect(await tidyTables(pglite)).toBeUndefined()
  })

  it('analyses a grown customers table in the same check, each statement apart', async () => {
    // VACUUM refuses to run in a transaction, which statements sent together would be.
    await pglite.exec(`INSERT INTO accounts (name) VALUES ('tidy') ;
      INSERT INTO customers (account_id, email)
        SELECT (SELECT max(id) FROM accounts), 'c' || g || '@tidy.test'
        FROM generate_series(1, 3000) g;
      UPDATE rewritten SET seen = now() WHERE id <= 700`)
    await flushStats()
    expect(await tidyTables(pglite)).toBe('VACUUM (ANALYZE) rewritten; ANALYZE customers')
    const { rows } = await pglite.query<{ n: number }>(
      `SELECT reltuples::int AS n FROM pg_class WHERE relname = 'customers'`,
    )
    expect(rows[0]!.n).toBe(3000)
  })

  it('keeps a table whose every row is rewritten over and over near its first size', async () => {
    const rounds = async (table: string, tidy: boolean) => {
      const sizes: number[] = []
      for (let round = 0; round < 6; round++) {
        await pglite.exec(`UPDATE ${table} SET seen = now(), params = params || '{"r": ${round}}'`)
        await flushStats()
        if (tidy) await tidyTables(pglite)
        sizes.push(await bytes(table))
      }
      return sizes
    }
    const left = await rounds('quiet', false) // the server without the check
    const tidied = await rounds('rewritten', true)
    // Each round's dead versions are reused by the next one's.
    expect(tidied.at(-1)).toBeLessThanOrEqual(tidied[0]! * 1.1)
    expect(left.at(-1)).toBeGreaterThan(left[0]! * 2.5)
  })
})
