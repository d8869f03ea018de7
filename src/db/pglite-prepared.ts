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
} from '@electric-sql/pglite'
import { isPrepared, MAX_PREPARED } from './prepared.js'

const { serialize } = protocol
type BackendMessage = ExecProtocolResult['messages'][number]

/** `pglite` for Kysely's PGliteDialect: query() prepares the marked statements; everything else
 *  (transactions, exec, close) is PGlite's own. A transaction's queries go through PGlite's
 *  transaction object, as they are. */
export function withPreparedStatements(pglite: PGlite): PGlite {
  /** Per prepared text: its name, its parameters' types, and its columns (none for a statement
   *  that answers no rows), as the first Describe said. */
  const named = new Map<string, { name: string; types: number[]; columns: BackendMessage[] }>()
  let made = 0 // a name is never used twice, even for a text whose preparing failed half-way
  const exchange = async (message: Uint8Array) =>
    (await pglite.execProtocol(message, { syncToFs: false })).messages

  async function preparedQuery(text: string, params: unknown[], options?: QueryOptions) {
    await pglite._checkReady()
    // The locks PGlite's query() takes: after any open transaction, one exchange at a time.
    return pglite._runExclusiveTransaction(() =>
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
          // Ends the implicit transaction, committed or (after an error) rolled back.
          messages.push(...(await exchange(serialize.sync())))
        }
        await pglite.syncToFs()
        return parse.parseResults(messages, pglite.parsers, options)[0]!
      }),
    )
  }

  const query = <T>(text: string, params: unknown[] = [], options?: QueryOptions) =>
    isPrepared(text) && (named.has(text) || named.size < MAX_PREPARED)
      ? (preparedQuery(text, params, options) as Promise<Results<T>>)
      : pglite.query<T>(text, params, options)

  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') return query
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
