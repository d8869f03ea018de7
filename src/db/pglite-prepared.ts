// PGlite with prepared statements (./prepared.ts), for Kysely's dialect: a statement whose text
// carries the mark is parsed and described once, under a name, and later sent as Bind / Execute /
// Sync only (the columns it answers come from that first Describe). PGlite's own query() parses
// and describes every statement afresh (Parse and Describe first, six exchanges with the
// WebAssembly in all); it has no named statements. Measured in one process on the identify
// statement (1,000 identifies, 4 rounds, alternated): 6.2–6.9 ms with query(), 2.5–3.1 ms
// prepared.
// PostgreSQL plans a prepared statement for its values five times, then keeps a generic plan if
// it costs no more (plan_cache_mode auto), and plans again after DDL or ANALYZE.
import {
  parse,
  protocol,
  type ExecProtocolResult,
  type PGlite,
  type QueryOptions,
  type Results,
  type Transaction,
} from '@electric-sql/pglite'
import { isPrepared, MAX_PREPARED } from './prepared.js'

const { serialize } = protocol
type BackendMessage = ExecProtocolResult['messages'][number]

/** `pglite` for Kysely's PGliteDialect: query() prepares the marked statements, and so does the
 *  query() of a transaction's object (a billing event's two statements, a CSV import's chunk);
 *  everything else (exec, close, the transaction itself) is PGlite's own. Measured on the Stripe
 *  replay's 556 events sent one at a time on PGlite, by Kysely's query log: the event's statement
 *  13.6 → 3.3 ms, its lock statement 2.0 → 0.6 ms (its plan was made again for every event,
 *  7.1 ms of planning to 1.7 ms of execution by EXPLAIN ANALYZE). */
export function withPreparedStatements(pglite: PGlite): PGlite {
  /** Per prepared text: its name, its parameters' types, and its columns (none for a statement
   *  that answers no rows), as the first Describe said. */
  const named = new Map<string, { name: string; types: number[]; columns: BackendMessage[] }>()
  let made = 0 // a name is never used twice, even for a text whose preparing failed half-way
  const exchange = async (message: Uint8Array) =>
    (await pglite.execProtocol(message, { syncToFs: false })).messages

  /** Sends a prepared statement: Parse and Describe the first time, then Bind / Execute / Sync.
   *  Outside a transaction it takes the locks PGlite's query() takes (after any open transaction,
   *  one exchange at a time) and syncs the data dir after; inside one, as PGlite's transaction
   *  object does: one exchange at a time, and the data dir synced at the commit. */
  async function preparedQuery(
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
    inTransaction: boolean,
  ) {
    await pglite._checkReady()
    const run = () =>
      pglite._runExclusiveQuery(async () => {
        const messages = []
        try {
          let statement = named.get(text)
          if (!statement) {
            const name = `tinycrm_${++made}`
            await exchange(serialize.parse({ name, text }))
            const described = await exchange(serialize.describe({ type: 'S', name }))
            statement = {
              name,
              types: parse.parseDescribeStatementResults(described),
              columns: described.filter((m) => m.name === 'rowDescription'),
            }
            named.set(text, statement)
          }
          const { name, types, columns } = statement
          // As PGlite's query() serialises parameters: by the type PostgreSQL inferred.
          const values = params.map((value, i) => {
            if (value == null) return null
            const serializer = options?.serializers?.[types[i]!] ?? pglite.serializers[types[i]!]
            return serializer ? serializer(value) : String(value)
          })
          messages.push(...(await exchange(serialize.bind({ statement: name, values }))))
          messages.push(...columns, ...(await exchange(serialize.execute({}))))
        } finally {
          // Ends the implicit transaction, committed or (after an error) rolled back; inside a
          // transaction block only the extended-protocol exchange (an error aborts the block).
          messages.push(...(await exchange(serialize.sync())))
        }
        if (!inTransaction) await pglite.syncToFs()
        return parse.parseResults(messages, pglite.parsers, options)[0]!
      })
    return inTransaction ? run() : pglite._runExclusiveTransaction(run)
  }

  const preparable = (text: string) =>
    isPrepared(text) && (named.has(text) || named.size < MAX_PREPARED)

  const query = <T>(text: string, params: unknown[] = [], options?: QueryOptions) =>
    preparable(text)
      ? (preparedQuery(text, params, options, false) as Promise<Results<T>>)
      : pglite.query<T>(text, params, options)

  /** PGlite's transaction, its object's query() preparing the marked statements. */
  const transaction = <T>(callback: (tx: Transaction) => Promise<T>) =>
    pglite.transaction((tx) =>
      callback(
        new Proxy(tx, {
          get(target, property) {
            if (property !== 'query') return Reflect.get(target, property, target)
            return <R>(text: string, params: unknown[] = [], options?: QueryOptions) => {
              if (!preparable(text)) return target.query<R>(text, params, options)
              if (target.closed) throw new Error('Transaction is closed')
              return preparedQuery(text, params, options, true) as Promise<Results<R>>
            }
          },
        }),
      ),
    )

  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') return query
      if (property === 'transaction') return transaction
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
