// The embedded PGlite on a thread of its own (./pglite-thread.ts starts it): it runs the
// statements the main thread sends, one exchange at a time as PGlite does, while the main thread
// goes on with HTTP. Every message is answered by its id: the result, or the error's own fields
// (its SQLSTATE `code` among them).
import { parentPort, workerData } from 'node:worker_threads'
import type { PGlite, QueryOptions, Results } from '@electric-sql/pglite'
import { openPgliteHere } from './pglite-open.js'
import { heldTransaction, type HeldTransaction } from './pglite-transaction.js'
import type { ThreadRequest, ThreadReply, ThreadStart } from './pglite-thread.js'

const start = workerData as ThreadStart
const port = parentPort!

// No top-level await: measured, messages sent to a worker whose module was still evaluating
// (awaiting PGlite's start) reached it hundreds of ms late, both threads idle meanwhile.
let pglite!: PGlite
const opened = openPgliteHere(start.dataDir, start).then((p) => {
  pglite = p
})

/** Open transactions by id. */
const open = new Map<number, HeldTransaction>()
let lastTx = 0

const identity = (v: unknown) => v
/** Every type PGlite knows, parsed and serialised as is (made once: PGlite registers its types
 *  when it opens). */
let asIs: Record<string, typeof identity> | undefined
/** `asText`: every value as Postgres sent it, and parameters sent as given (the dev Neon
 *  endpoint's way: scripts/neon-http-endpoint.ts). */
function queryOptions(request: { rowMode?: 'array' | 'object'; asText?: boolean }): QueryOptions {
  const options: QueryOptions = { rowMode: request.rowMode ?? 'object' }
  if (request.asText) {
    const known = pglite as unknown as { parsers: object; serializers: object }
    asIs ??= Object.fromEntries(
      [...new Set([...Object.keys(known.parsers), ...Object.keys(known.serializers)])].map(
        (oid) => [oid, identity],
      ),
    )
    options.parsers = asIs
    options.serializers = asIs as Record<number, (v: unknown) => string>
  }
  return options
}

async function handle(request: ThreadRequest): Promise<unknown> {
  const on = request.tx === undefined ? pglite : open.get(request.tx)?.tx
  switch (request.op) {
    case 'query': {
      if (!on) throw new Error('Transaction is closed')
      const r: Results = await on.query(request.text, request.params, queryOptions(request))
      // The blob (COPY … TO) is not used by the app; a Results without it clones as is.
      return { rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }
    }
    case 'exec': {
      if (!on) throw new Error('Transaction is closed')
      const results = await on.exec(request.text)
      return results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }))
    }
    case 'begin': {
      const id = ++lastTx
      open.set(id, await heldTransaction(pglite))
      return id
    }
    case 'end': {
      const held = open.get(request.tx!)
      open.delete(request.tx!)
      await held?.end(request.commit)
      return undefined
    }
    case 'dump':
      return (await pglite.dumpDataDir('none')).arrayBuffer()
    case 'close':
      await pglite.close()
      return undefined
  }
}

/** An error as plain data: its message and every field of its own (`code`, `detail`, …). */
function errorData(err: unknown) {
  if (!(err instanceof Error)) return { message: String(err) }
  const data: Record<string, unknown> = { name: err.name, message: err.message }
  for (const [k, v] of Object.entries(err)) {
    if (v === undefined || typeof v === 'function' || (typeof v === 'object' && v !== null))
      continue
    data[k] = v
  }
  return data
}

port.on('message', (request: ThreadRequest) => {
  handle(request).then(
    (result) => port.postMessage({ id: request.id, result } satisfies ThreadReply),
    (err: unknown) =>
      port.postMessage({ id: request.id, error: errorData(err) } satisfies ThreadReply),
  )
})
opened.then(
  () => port.postMessage({ id: 0, result: 'ready' } satisfies ThreadReply),
  (err: unknown) => port.postMessage({ id: 0, error: errorData(err) } satisfies ThreadReply),
)
