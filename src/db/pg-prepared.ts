// PostgreSQL through pg with prepared statements (./prepared.ts): a marked statement is sent as a
// named one, which pg parses once per connection and then sends as Bind / Execute only, so the
// server plans it once per connection (after five custom plans, a generic one) instead of on
// every request. Measured on a local PostgreSQL 15 by EXPLAIN ANALYZE: a billing event's statement
// planned in 2.4–3.7 ms and ran in 0.5–2.2 ms; its server CPU was 6.0–6.4 ms an event, unprepared.
//
// A DATABASE_URL may name a pooler in transaction mode (PgBouncer, Supavisor), where consecutive
// statements of one client may reach different server connections. So:
// - a statement's name is a hash of its text: wherever a statement of that name exists, it is
//   this text (another TinyCRM process behind the same pooler names it the same);
// - when the server says a name is unknown (26000), taken already (42P05), or its plan is stale
//   after a migration changed a table's columns (0A000), this pool stops preparing for good and
//   the write runs again unprepared. All three are raised before the statement runs, and its
//   transaction is rolled back whole, so the error is rethrown as a serialization failure (40001),
//   which every write retries (./retry.ts).
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { isPrepared, MAX_PREPARED } from './prepared.js'

/** The SQLSTATEs of a named statement that a pooler or a migration has made unusable. */
const UNPREPARABLE = new Set(['26000', '42P05', '0A000'])

/** Makes `pool`'s clients send the marked statements by name. */
export function prepareMarkedStatements(pool: pg.Pool): void {
  const names = new Map<string, string>()
  // False once the server refused a named statement: from then on every text is sent as is.
  let preparing = true
  const nameOf = (text: string) => {
    let name = names.get(text)
    if (!name && names.size < MAX_PREPARED) {
      name = `tinycrm_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
      names.set(text, name)
    }
    return name
  }
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((...args: unknown[]) => {
      const [text, values] = args
      // Kysely's call: (text, parameters), answered by a promise.
      const name =
        preparing && args.length === 2 && typeof text === 'string' && isPrepared(text)
          ? nameOf(text)
          : undefined
      if (!name) return query(...args)
      return (query({ name, text, values }) as Promise<unknown>).catch((err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code
        if (typeof code !== 'string' || !UNPREPARABLE.has(code)) throw err
        if (preparing) {
          preparing = false
          console.warn(
            `TinyCRM: the database refused a prepared statement (${code}: ${(err as Error).message}); sending every statement as text from now on`,
          )
        }
        throw Object.assign(new Error(`the server refused a prepared statement (${code})`), {
          code: '40001',
          cause: err,
        })
      })
    }) as typeof client.query
  })
}
