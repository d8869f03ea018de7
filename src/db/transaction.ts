// Several statements in ONE transaction, on every runtime: a Kysely transaction on PGlite and pg,
// one non-interactive batch (one HTTP round trip) on Neon's HTTP driver, which has no interactive
// transactions (./neon.ts registers that). The statements are fixed up front — none reads the
// result of another — but each runs with its own snapshot (READ COMMITTED) and sees what the
// ones before it wrote: so "lock these rows, then act on what they hold now" is two statements
// here (see src/merges/store.ts).
import type { CompiledQuery, Kysely, QueryResult } from 'kysely'
import { retryTransient } from './retry.js'
import type { Database } from './schema.js'

export type TransactionRunner = (
  queries: readonly CompiledQuery[],
) => Promise<QueryResult<Record<string, unknown>>[]>

const runners = new WeakMap<Kysely<Database>, TransactionRunner>()

/** For a driver without interactive transactions: how it runs a batch as one transaction. */
export function setTransactionRunner(db: Kysely<Database>, run: TransactionRunner) {
  runners.set(db, run)
}

/** Runs `queries` in order in one transaction and returns their results; on a deadlock or a
 *  serialization failure (both roll everything back) runs them again (./retry.ts). */
export async function runInTransaction(
  db: Kysely<Database>,
  queries: readonly CompiledQuery[],
): Promise<QueryResult<Record<string, unknown>>[]> {
  const run =
    runners.get(db) ??
    ((qs: readonly CompiledQuery[]) =>
      db.transaction().execute(async (trx) => {
        const results: QueryResult<Record<string, unknown>>[] = []
        for (const q of qs) results.push(await trx.executeQuery<Record<string, unknown>>(q))
        return results
      }))
  return retryTransient(() => run(queries))
}
