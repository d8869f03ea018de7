// PGlite runs no autovacuum: the Node server's own check (./pglite-tidy.ts) vacuums a table whose
// dead row versions pass autovacuum's threshold, so rewriting the same rows does not grow the data
// directory for good, and one with as many rows inserted (its GIN indexes' pending lists then
// emptied into the index), and leaves a table under the thresholds alone. On a data directory, as
// `npm start` opens it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openNodeDb, type NodeDb } from './node.js'
import { keepTablesTidy, tidyTables } from './pglite-tidy.js'

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
        FROM generate_series(1, 2000) g`)
    // Tables that have been around: vacuumed since their rows went in (the inserts counted first).
    await flushStats()
    await pglite.exec(`VACUUM (ANALYZE) ${t}`)
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

/** When the table was last vacuumed by a VACUUM statement (0: never). */
const lastVacuum = async (table: string) =>
  (
    await pglite.query<{ at: Date | null }>(
      `SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE relname = '${table}'`,
    )
  ).rows[0]!.at?.getTime() ?? 0

describe('tidyTables: what autovacuum would do, on PGlite', () => {
  it('vacuums only a table past 50 + a fifth of its rows dead, and then finds nothing to do', async () => {
    await pglite.exec(`UPDATE rewritten SET seen = now() WHERE id <= 500;
      UPDATE quiet SET seen = now() WHERE id <= 300`) // 500 > 450 dead; 300 < 450
    await flushStats()
    const before = { rewritten: await lastVacuum('rewritten'), quiet: await lastVacuum('quiet') }
    expect(await tidyTables(pglite)).toBe('VACUUM (ANALYZE) rewritten')
    expect(await lastVacuum('rewritten')).toBeGreaterThan(before.rewritten)
    expect(await lastVacuum('quiet')).toBe(before.quiet)
    await flushStats()
    expect(await tidyTables(pglite)).toBeUndefined()
  })

  // What a GIN index (a search's trigrams, the relation keys, params) still holds in its pending
  // list, emptied by the call: pages of it.
  const pendingPages = async (index: string) =>
    (await pglite.query<{ n: number }>(`SELECT gin_clean_pending_list('${index}') AS n`)).rows[0]!.n

  it('vacuums a table past 1,000 + a fifth of its rows inserted (an import), its GIN indexes emptied of pending rows', async () => {
    await pglite.exec(`INSERT INTO accounts (name) VALUES ('tidy') ;
      INSERT INTO customers (account_id, email)
        SELECT (SELECT max(id) FROM accounts), 'c' || g || '@tidy.test'
        FROM generate_series(1, 3000) g;
      UPDATE rewritten SET seen = now() WHERE id <= 700`)
    await flushStats()
    expect(await tidyTables(pglite)).toBe('VACUUM (ANALYZE) customers, rewritten')
    const { rows } = await pglite.query<{ n: number }>(
      `SELECT reltuples::int AS n FROM pg_class WHERE relname = 'customers'`,
    )
    expect(rows[0]!.n).toBe(3000)
    expect(await pendingPages('customers_email_trgm_idx')).toBe(0)
  })

  it('analyses a customers table grown by fewer inserts, each statement apart', async () => {
    // 900 more: past a fifth of its pages, short of 1,000 + 600 rows. VACUUM refuses to run in a
    // transaction, which statements sent together would be.
    await pglite.exec(`INSERT INTO customers (account_id, email)
        SELECT (SELECT max(id) FROM accounts), 'd' || g || '@tidy.test'
        FROM generate_series(1, 900) g;
      UPDATE rewritten SET seen = now() WHERE id <= 700`)
    await flushStats()
    expect(await tidyTables(pglite)).toBe('VACUUM (ANALYZE) rewritten; ANALYZE customers')
    // An ANALYZE leaves the search's new trigrams pending: only the VACUUM took them in above.
    expect(await pendingPages('customers_email_trgm_idx')).toBeGreaterThan(0)
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

describe("keepTablesTidy: the server's timer waits for a quiet moment", () => {
  /** Waits, up to 30 s, for the timer's VACUUM of `rewritten` after `before` (asynchronous). */
  const vacuumedSince = (before: number) =>
    vi.waitFor(async () => expect(await lastVacuum('rewritten')).toBeGreaterThan(before), {
      timeout: 30_000,
      interval: 100,
    })
  const rewriteSome = async () => {
    await pglite.exec(`UPDATE rewritten SET seen = now() WHERE id <= 700`) // past 50 + a fifth
    await flushStats()
  }

  it('holds the work it finds while statements keep coming, and does it once they stop', async () => {
    await rewriteSome()
    const before = await lastVacuum('rewritten')
    let busy = true
    let quietSince = 0
    const stop = keepTablesTidy(pglite, () => (busy ? performance.now() : quietSince), {
      everyMs: 20,
      quietMs: 200,
      maxWaitMs: 10 * 60_000,
    })
    try {
      // The first check finds the table past its threshold and waits: a second on, no VACUUM.
      await new Promise((r) => setTimeout(r, 1000))
      expect(await lastVacuum('rewritten')).toBe(before)
      quietSince = performance.now()
      busy = false
      await vacuumedSince(before)
    } finally {
      stop()
    }
  })

  it('does it after maxWaitMs when the statements never stop', async () => {
    await rewriteSome()
    const before = await lastVacuum('rewritten')
    const stop = keepTablesTidy(pglite, () => performance.now(), {
      everyMs: 20,
      quietMs: 200,
      maxWaitMs: 300,
    })
    try {
      await vacuumedSince(before)
    } finally {
      stop()
    }
  })
})
