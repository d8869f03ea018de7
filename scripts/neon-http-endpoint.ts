// A development tool: a loopback HTTP server that speaks Neon's HTTP query protocol (what
// `neon()` from @neondatabase/serverless sends) over the embedded PGlite or a local Postgres pool.
// With it, `wrangler dev` and the workerd tests run the Worker's real production code path (Kysely →
// kysely-neon → Neon's HTTP driver → fetch) against a local database. Never part of the deployed
// Worker: src/worker.ts does not import it, and it binds 127.0.0.1 only.
//
// The protocol, as the driver (1.2) speaks it: POST with headers Neon-Connection-String,
// Neon-Raw-Text-Output: true, Neon-Array-Mode: true (and Neon-Batch-Isolation-Level / -Read-Only /
// -Deferrable for batches); body `{ query, params }` or `{ queries: [{ query, params }, ...] }` with
// params as text or null. Reply `{ command, rowCount, fields: [{ name, dataTypeID }], rows }` with
// every value as Postgres text (the driver parses them with its own type parsers), or
// `{ results: [...] }` for a batch, which runs in one transaction. A Postgres error answers HTTP 400
// with its fields (message, code, detail, constraint, ...), so SQLSTATEs reach the app unchanged.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { types as pgliteTypes, type PGlite, type Transaction } from '@electric-sql/pglite'
import type pg from 'pg'

export interface NeonQuery {
  query: string
  params?: (string | null)[]
}

export interface NeonResult {
  command: string
  rowCount: number | null
  fields: { name: string; dataTypeID: number }[]
  rows: (string | null)[][]
  rowAsArray: true
}

/** How a batch transaction is opened, from the Neon-Batch-* headers. */
export interface BatchMode {
  isolationLevel?: string
  readOnly?: boolean
  deferrable?: boolean
}

export interface NeonHttpEndpoint {
  /** The URL to give `neonConfig.fetchEndpoint` (or the Worker's NEON_FETCH_ENDPOINT). */
  url: string
  port: number
  /** Query requests served and statements run: tests count round trips with these. */
  stats: { requests: number; queries: number }
  close(): Promise<void>
}

export interface NeonHttpEndpointOptions {
  /** The database to serve: an open PGlite or a pg Pool (both come from `openNodeDb()`). */
  pglite?: PGlite
  pool?: pg.Pool
  /** 0 (the default) picks a free port. */
  port?: number
}

// The driver sends camel-case names; Postgres wants words.
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
}

// The error fields the driver copies onto its NeonDbError (the same names pg uses).
const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const

interface Backend {
  query(q: NeonQuery): Promise<NeonResult>
  batch(queries: NeonQuery[], mode: BatchMode): Promise<NeonResult[]>
}

export function transactionCharacteristics(mode: BatchMode): string {
  const parts: string[] = []
  if (mode.isolationLevel) {
    const level = ISOLATION_LEVELS[mode.isolationLevel]
    if (!level)
      throw new ProtocolError(`Unknown Neon-Batch-Isolation-Level: ${mode.isolationLevel}`)
    parts.push(`ISOLATION LEVEL ${level}`)
  }
  if (mode.readOnly !== undefined) parts.push(mode.readOnly ? 'READ ONLY' : 'READ WRITE')
  if (mode.deferrable !== undefined) parts.push(mode.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE')
  return parts.join(' ')
}

/** PGlite parses and serializes values by type; the protocol wants Postgres text both ways. */
function pgliteBackend(pglite: PGlite): Backend {
  const identity = (v: unknown) => v
  // Every type PGlite knows, including the array types it registers at start-up, maps to identity:
  // a JSON param then arrives as the text sent rather than re-encoded, and results stay text.
  const options = () => {
    const known = pglite as unknown as { parsers: object; serializers: object }
    const oids = new Set([
      ...Object.keys(pgliteTypes.parsers),
      ...Object.keys(pgliteTypes.serializers),
      ...Object.keys(known.parsers),
      ...Object.keys(known.serializers),
    ])
    const asIs = Object.fromEntries([...oids].map((oid) => [oid, identity]))
    return {
      rowMode: 'array' as const,
      parsers: asIs,
      serializers: asIs as Record<number, () => string>,
    }
  }
  const run = async (db: PGlite | Transaction, q: NeonQuery): Promise<NeonResult> => {
    const r = (await db.query<(string | null)[]>(q.query, q.params ?? [], options())) as {
      rows: (string | null)[][]
      fields: { name: string; dataTypeID: number }[]
      command?: string
      rowCount?: number
      affectedRows?: number
    }
    return {
      command: r.command ?? '',
      rowCount: r.rowCount ?? r.affectedRows ?? null,
      fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
      rows: r.rows,
      rowAsArray: true,
    }
  }
  return {
    query: (q) => run(pglite, q),
    batch: (queries, mode) =>
      pglite.transaction(async (tx) => {
        const characteristics = transactionCharacteristics(mode)
        if (characteristics) await tx.exec(`SET TRANSACTION ${characteristics}`)
        const results: NeonResult[] = []
        for (const q of queries) results.push(await run(tx, q))
        return results
      }),
  }
}

function poolBackend(pool: pg.Pool): Backend {
  // A per-query type set that leaves every value as the text Postgres sent.
  const rawTypes = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig
  const run = async (client: pg.Pool | pg.PoolClient, q: NeonQuery): Promise<NeonResult> => {
    const r = await client.query({
      text: q.query,
      values: q.params ?? [],
      rowMode: 'array',
      types: rawTypes,
    })
    return {
      command: r.command,
      rowCount: r.rowCount,
      fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
      rows: r.rows as (string | null)[][],
      rowAsArray: true,
    }
  }
  return {
    query: (q) => run(pool, q),
    async batch(queries, mode) {
      const client = await pool.connect()
      try {
        await client.query(`BEGIN ${transactionCharacteristics(mode)}`)
        const results: NeonResult[] = []
        for (const q of queries) results.push(await run(client, q))
        await client.query('COMMIT')
        return results
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
  }
}

/** A malformed request: answered 400 with a message and no SQLSTATE, as Neon does. */
class ProtocolError extends Error {}

function parseQuery(value: unknown, where: string): NeonQuery {
  const q = value as NeonQuery | null
  if (!q || typeof q !== 'object' || typeof q.query !== 'string') {
    throw new ProtocolError(`${where}: expected { query: string, params?: (string | null)[] }`)
  }
  const params = q.params ?? []
  if (!Array.isArray(params) || !params.every((p) => p === null || typeof p === 'string')) {
    throw new ProtocolError(`${where}: params must be an array of text values or null`)
  }
  return { query: q.query, params }
}

function batchMode(req: IncomingMessage): BatchMode {
  const flag = (name: string) => {
    const v = req.headers[name]
    return typeof v === 'string' ? v === 'true' : undefined
  }
  const level = req.headers['neon-batch-isolation-level']
  return {
    isolationLevel: typeof level === 'string' ? level : undefined,
    readOnly: flag('neon-batch-read-only'),
    deferrable: flag('neon-batch-deferrable'),
  }
}

function errorBody(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof ProtocolError) return { status: 400, body: { message: err.message } }
  const e = err as Record<string, unknown> & { message?: string }
  // A database error (SQLSTATE) or a connection failure of the pool (ECONNREFUSED and the like):
  // both carry a code the app knows how to map, so both travel as the driver's 400 error shape.
  if (typeof e?.code === 'string') {
    const body: Record<string, unknown> = { message: e.message ?? String(err) }
    for (const field of ERROR_FIELDS) if (e[field] !== undefined) body[field] = e[field]
    return { status: 400, body }
  }
  return { status: 500, body: { message: err instanceof Error ? err.message : String(err) } }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** Starts the endpoint on 127.0.0.1. Its URL goes into `neonConfig.fetchEndpoint`. */
export async function startNeonHttpEndpoint(
  opts: NeonHttpEndpointOptions,
): Promise<NeonHttpEndpoint> {
  const backend = opts.pglite
    ? pgliteBackend(opts.pglite)
    : opts.pool
      ? poolBackend(opts.pool)
      : undefined
  if (!backend) throw new Error('startNeonHttpEndpoint needs a pglite or a pool')
  const stats = { requests: 0, queries: 0 }

  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/_stats') return send(res, 200, stats)
      if (req.method !== 'POST') return send(res, 405, { message: 'POST a query' })
      let body: unknown
      try {
        body = JSON.parse(await readBody(req))
      } catch {
        throw new ProtocolError('The request body is not JSON')
      }
      const { queries } = (body ?? {}) as { queries?: unknown }
      stats.requests++
      if (queries !== undefined) {
        if (!Array.isArray(queries)) throw new ProtocolError('queries must be an array')
        const parsed = queries.map((q, i) => parseQuery(q, `queries[${i}]`))
        stats.queries += parsed.length
        return send(res, 200, { results: await backend.batch(parsed, batchMode(req)) })
      }
      const q = parseQuery(body, 'body')
      stats.queries++
      return send(res, 200, await backend.query(q))
    } catch (err) {
      const { status, body } = errorBody(err)
      if (!res.headersSent) send(res, status, body)
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/sql`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
