// What autovacuum does on a PostgreSQL server, for the embedded PGlite, which runs none: the Node
// server (./node.ts) checks its tables every 15 s and vacuums or analyses those that need it, in
// the first quiet moment (no statement for a quarter of a second), or after a minute regardless.
import { setTimeout as sleep } from 'node:timers/promises'
import type { PGlite } from '@electric-sql/pglite'

/**
 * One check, and the work it finds, on PGlite directly (unlogged):
 * - VACUUM a table whose dead row versions pass autovacuum's default threshold, 50 + a fifth of
 *   its rows. Every ping leaves one behind (its new last activity is a new row version, as is each
 *   change to a customer's summary columns); never vacuumed, the space they hold is never reused
 *   and the data directory grows with every request for good. Measured on the same 2-minute
 *   identify soak at concurrency 4, without and then with this check (every 10 s): the two ingest
 *   tables grew by 10.1 MB (19.3 → 29.4) and 2.5 MB (19.6 → 22.1). PGlite has one connection, so
 *   a VACUUM holds the requests behind it for its length: 104–342 ms in that soak; on a table of
 *   a million relations with their indexes (343 MB), 1.9–2.4 s once 1–21% of it was rewritten,
 *   which at autovacuum's threshold comes once per 200,000 rewritten rows (the SDK waits 5 s a
 *   try, and tries again).
 * - VACUUM a table with more rows inserted since its last VACUUM than autovacuum's insert
 *   threshold, 1,000 + a fifth of its rows: only a VACUUM (or autovacuum's own ANALYZE, which
 *   PGlite has not) moves the rows a GIN index holds in its pending list into the index proper,
 *   and until then every search reads that list through. Measured on PGlite after seeding 20,000
 *   customers (as an import or a batch ingest writes them), three runs: `q=user4242` took
 *   55.4–57.2 ms a page and 28.3–29.6 ms for its rows statement (medians of 7), and 7.4–7.5 and
 *   4.1–4.3 ms after this check's `VACUUM (ANALYZE) customer_projects, customers,
 *   relation_changes` (737 ms, holding the one connection). `in=` reads the relation keys' GIN
 *   index, a param the params' own.
 * - ANALYZE `customers` or `customer_projects` once grown by a fifth (or 8 pages) since their
 *   last ANALYZE (or VACUUM): a table analysed when empty otherwise stays "empty" to the planner,
 *   and measured, the ingest statement's plans (a foreign-key check, the ping update) then scan
 *   whole tables, turning bulk ingest quadratic.
 * Returns the statements it ran, if any.
 */
export async function tidyTables(pglite: PGlite): Promise<string | undefined> {
  const statements = await tidyStatements(pglite)
  await runTidy(pglite, statements)
  return statements.length ? statements.join('; ') : undefined
}

/** The statements tidyTables would run now (none: nothing to do). */
async function tidyStatements(pglite: PGlite): Promise<string[]> {
  const { rows } = await pglite.query<{ name: string; vacuum: boolean }>(
    `SELECT name, vacuum FROM (
       SELECT quote_ident(c.relname) AS name,
         s.n_dead_tup > 50 + 0.2 * GREATEST(c.reltuples, s.n_live_tup)
           OR s.n_ins_since_vacuum > 1000 + 0.2 * GREATEST(c.reltuples, s.n_live_tup) AS vacuum,
         c.relname IN ('customers', 'customer_projects')
           AND pg_relation_size(c.oid) / current_setting('block_size')::int
               > GREATEST(c.relpages * 1.2, c.relpages + 8) AS grown
       FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
       WHERE s.schemaname = 'public'
     ) t
     WHERE vacuum OR grown
     ORDER BY name`,
  )
  // VACUUM (ANALYZE) also counts the table's pages and rows again, as ANALYZE does. One statement
  // a call: several in one would be one transaction, which VACUUM refuses.
  const vacuum = rows.filter((r) => r.vacuum).map((r) => r.name)
  const analyze = rows.filter((r) => !r.vacuum).map((r) => r.name)
  return [
    ...(vacuum.length ? [`VACUUM (ANALYZE) ${vacuum.join(', ')}`] : []),
    ...(analyze.length ? [`ANALYZE ${analyze.join(', ')}`] : []),
  ]
}

async function runTidy(pglite: PGlite, statements: string[]) {
  for (const statement of statements) await pglite.exec(statement)
}

/** How the Node server tidies: it checks every `everyMs`; work found waits until no statement has
 *  run for `quietMs` (PGlite has one connection: a VACUUM holds every request behind it, for
 *  250–430 ms a time on the bench's identify server), but never longer than `maxWaitMs`: a
 *  server busy without a pause is still tidied, at most a minute later. */
export const TIDY_TIMING = { everyMs: 15_000, quietMs: 250, maxWaitMs: 60_000 }

/** Runs tidyTables on `timing` (never two at once) until the returned stop is called.
 *  `lastStatementAt` is when the app's last statement ended (performance.now()); the tidy's own
 *  are not the app's. */
export function keepTablesTidy(
  pglite: PGlite,
  lastStatementAt: () => number,
  timing = TIDY_TIMING,
): () => void {
  let running = false
  let stopped = false
  const quiet = async () => {
    const waitUntil = performance.now() + timing.maxWaitMs
    for (;;) {
      const now = performance.now()
      const quietFor = now - lastStatementAt()
      if (stopped || quietFor >= timing.quietMs || now >= waitUntil) return
      await sleep(Math.min(timing.quietMs - quietFor, waitUntil - now), undefined, { ref: false })
    }
  }
  const check = async () => {
    if (running) return
    running = true
    try {
      const statements = await tidyStatements(pglite)
      if (!statements.length) return
      await quiet()
      if (!stopped) await runTidy(pglite, statements)
    } catch {
      // closed, or busy shutting down: the next tick (if any) tries again
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void check(), timing.everyMs)
  timer.unref()
  return () => {
    stopped = true
    clearInterval(timer)
  }
}
