// What the real-PostgreSQL tests (`*.pg.test.ts`) share: the app's database opened on the test
// server (see ./postgres-setup.ts), the app served over a loopback socket so that every request is
// a real concurrent HTTP request, and a gate that parks a race's statements on a table lock and
// lets them go together. Test files share one database and run at the same time: each names its
// connections (`appName`), so its gate counts only its own statements, and seeds its own account.
import { afterAll, beforeAll, inject } from 'vitest'
import pg from 'pg'
import { createApp } from '../../src/app.js'
import type { AppDeps } from '../../src/env.js'
import { openNodeDb, type NodeDb } from '../../src/db/node.js'
import { listen } from './loopback.js'

interface DbOptions {
  poolSize: number
  /** Tags this file's connections (`application_name`), for the gate's count. */
  appName?: string
  /** Another server or database than the shared test database. */
  databaseUrl?: string
  /** Runs the migrations first (a database of the test's own). */
  migrate?: boolean
}

function withAppName(url: string, appName?: string) {
  return appName ? `${url}?application_name=${appName}` : url
}

/** The app's own database layer (pool of `poolSize`) on the test database, or on `databaseUrl`. */
export async function openTestDb(options: DbOptions): Promise<NodeDb> {
  const url = options.databaseUrl ?? inject('postgresUrl')
  if (options.migrate) {
    await openNodeDb({ databaseUrl: url, migrate: true, poolSize: 1 }).then((n) => n.close())
  }
  return openNodeDb({ databaseUrl: withAppName(url, options.appName), poolSize: options.poolSize })
}

/** A new, empty, migrated database `name` on the test server (dropped first if a run left one),
 *  for a test that needs a database nobody else writes to. Returns its URL. */
export async function createEmptyDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('postgresUrl') })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = inject('postgresUrl').replace(/\/[^/]+$/, `/${name}`)
  await openNodeDb({ databaseUrl: url, migrate: true, poolSize: 1 }).then((n) => n.close())
  return url
}

export interface Reply {
  status: number
  body: any
  /** For a 500: what the server logged for it (the log line with its request id), so that a test
   *  failing on one says why without the run's whole output. */
  log?: string
}

// What the app wrote to console.error in this file, kept (and still printed) for `Reply.log`.
const errorLines: string[] = []
const printError = console.error.bind(console)
console.error = (...args: unknown[]) => {
  errorLines.push(args.map(String).join(' '))
  printError(...args)
}
const loggedFor = (requestId: unknown) =>
  typeof requestId === 'string' ? errorLines.find((l) => l.includes(requestId)) : undefined

export interface ServedApp {
  node: NodeDb
  baseUrl: string
  /** One JSON request with a bearer key or token, as a client sends it. */
  call(method: string, path: string, bearer: string, body?: unknown): Promise<Reply>
  /** Stops the server, then closes the pool. */
  close(): Promise<void>
}

/** `createApp` on the test database (see `openTestDb`), served on a loopback port. */
export async function serveTestApp(
  options: DbOptions & { config?: AppDeps['config'] },
): Promise<ServedApp> {
  const node = await openTestDb(options)
  const app = createApp({ db: node.db, config: options.config })
  const { baseUrl, close } = await listen(app.fetch)
  return {
    node,
    baseUrl,
    async call(method, path, bearer, body) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const reply: Reply = { status: res.status, body: await res.json() }
      if (res.status === 500) reply.log = loggedFor(reply.body?.error?.requestId)
      return reply
    },
    async close() {
      await close()
      await node.close()
    },
  }
}

export interface ServedTestApp extends ServedApp {
  /** `node.db`: the app's Kysely. */
  db: NodeDb['db']
  /** The gate on `gateTable`, where one was named. */
  gate: Gate
}

/** `serveTestApp` (and `openGate` on `gateTable`, for connections named `appName`) opened before
 *  this file's tests and closed after them. The returned object is filled in by then: read its
 *  fields inside hooks and tests. */
export function useServedApp(
  options: DbOptions & {
    config?: AppDeps['config']
    gateTable?: string
    /** A new, empty database of this name (createEmptyDatabase) instead of the shared one: what
     *  PostgreSQL counts per database (deadlocks) is then this file's alone. */
    ownDatabase?: string
  },
): ServedTestApp {
  if (options.gateTable && !options.appName) throw new Error('a gate counts only a named appName')
  const served = {} as ServedTestApp
  beforeAll(async () => {
    const databaseUrl = options.ownDatabase
      ? await createEmptyDatabase(options.ownDatabase)
      : options.databaseUrl
    const opened = await serveTestApp({ ...options, databaseUrl })
    Object.assign(served, opened, { db: opened.node.db })
    if (options.gateTable) {
      served.gate = openGate({ appName: options.appName!, table: options.gateTable, databaseUrl })
    }
  })
  afterAll(async () => {
    await served.gate?.close()
    await served.close?.()
  })
  return served
}

export interface Gate {
  /** Holds `table` locked while `fire()` sends its statements, waits until `waiters` of this
   *  file's statements are parked on the lock, then lets them all go at once. */
  gated<T>(waiters: number, fire: () => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** A gate on `table` in lock `mode` (ACCESS EXCLUSIVE parks reads too; EXCLUSIVE only writes),
 *  counting the waiting statements of connections named `appName`. */
export function openGate(options: {
  appName: string
  table: string
  mode?: 'ACCESS EXCLUSIVE' | 'EXCLUSIVE'
  databaseUrl?: string
}): Gate {
  const { appName, table, mode = 'ACCESS EXCLUSIVE' } = options
  const pool = new pg.Pool({
    connectionString: options.databaseUrl ?? inject('postgresUrl'),
    max: 2,
  })
  return {
    async gated<T>(waiters: number, fire: () => Promise<T>): Promise<T> {
      const gate = await pool.connect()
      let settled = false
      try {
        await gate.query('BEGIN')
        await gate.query(`LOCK TABLE ${table} IN ${mode} MODE`)
        const pending = fire().finally(() => (settled = true))
        pending.catch(() => {})
        const deadline = Date.now() + 30_000
        for (;;) {
          // Asked outside the gate's transaction, which would see one frozen snapshot of the activity.
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE application_name = $1 AND wait_event_type = 'Lock'`,
            [appName],
          )
          if (rows[0]!.n >= waiters) break
          // Requests that answer without reaching the database would leave the gate waiting forever.
          if (settled)
            throw new Error(`requests finished before ${waiters} of them reached the gate`)
          if (Date.now() > deadline) {
            throw new Error(`only ${rows[0]!.n} of ${waiters} reached the gate`)
          }
          await new Promise((r) => setTimeout(r, 5))
        }
        await gate.query('COMMIT')
        return await pending
      } finally {
        await gate.query('ROLLBACK').catch(() => {})
        gate.release()
      }
    },
    close: () => pool.end(),
  }
}

/** For a race a test stages by holding a lock itself: `holder`, a connection of its own to take
 *  the lock in a transaction it keeps open, and `waiting()`, how many statements of connections
 *  named `appName` wait for a lock, asked outside that transaction (inside it, pg_stat_activity
 *  is one frozen snapshot). */
export function useLockHolder(appName: string) {
  let holder: pg.Client
  let watcher: pg.Client
  beforeAll(async () => {
    holder = new pg.Client({ connectionString: inject('postgresUrl') })
    watcher = new pg.Client({ connectionString: inject('postgresUrl') })
    await holder.connect()
    await watcher.connect()
  })
  afterAll(async () => {
    await holder.end()
    await watcher.end()
  })
  return {
    holder: () => holder,
    async waiting(): Promise<number> {
      const { rows } = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [appName],
      )
      return rows[0]!.n
    },
  }
}
