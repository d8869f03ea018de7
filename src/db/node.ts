// The Node side of the db factory: PGlite in a data directory (the embedded default), or any
// Postgres server through `pg` when DATABASE_URL is set. The Worker's side is ./neon.ts.
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, type LogEvent } from 'kysely'
import type pg from 'pg'
import type { Database } from './schema.js'
import { lockDataDir, type DataDirLock } from './lock.js'
import { TYPE_PARSERS } from './types.js'
import { databaseLog, reportUnavailable } from './log.js'
import { migrateToLatest } from './migrate.js'
import { copyPgliteTemplate, hasPgliteTemplate, isFreshDataDir } from './pglite-template.js'
import { keepTablesTidy } from './pglite-tidy.js'
import { LARGE_POOL_MB, sharedBuffersMb } from './pglite-buffers.js'
import { startPgliteThread } from './pglite-thread.js'
import { openPgliteHere } from './pglite-open.js'
import { PGliteStatementsAsTheyCome } from './pglite-dialect.js'
import { prepareMarkedStatements } from './pg-prepared.js'
import { DEFAULT_DATA_DIR } from '../config.js'

export interface NodeDbOptions {
  /** A postgres:// URL; without one the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string
  /** PGlite's data directory; `memory://` for a throwaway in-memory database. */
  dataDir?: string
  /** Run migrations after opening (always done for PGlite). */
  migrate?: boolean
  /** Pool size for a Postgres server. */
  poolSize?: number
  /** PGlite in memory only: start from this `dumpDataDir()` tarball (fast test fixtures). */
  loadDataDir?: Blob
  /** Sees every statement (tests count them), after ./log.ts has. */
  log?: (event: LogEvent) => void
  /** PGlite in a data directory: vacuum and analyse its tables on a timer, in a quiet moment
   *  (./pglite-tidy.ts), as the server does; default true. The bench's raw side turns it off and
   *  tidies between its runs, so no VACUUM stalls its process's event loop while it times the
   *  server. */
  tidy?: boolean
  /** What opening is doing, as it goes (the server prints it: a first start is the slow one). */
  progress?(message: string): void
}

export interface NodeDb {
  db: Kysely<Database>
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for the start-up line (no password). */
  location: string
  /** The driver underneath, for the dev-only Neon HTTP endpoint and test fixtures. */
  pglite?: PGlite
  pool?: pg.Pool
  /** Tells a CLI refused by the data directory's lock where this server's dashboard is. */
  announce?(url: string): void
  close(): Promise<void>
}

export async function openNodeDb(opts: NodeDbOptions = {}): Promise<NodeDb> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts)
  return openPglite(opts.dataDir ?? DEFAULT_DATA_DIR, opts)
}

async function openPglite(dataDir: string, opts: NodeDbOptions): Promise<NodeDb> {
  const inMemory = dataDir.startsWith('memory://')
  let lock: DataDirLock | undefined
  const release = () => lock?.release()
  if (!inMemory) {
    dataDir = resolve(dataDir)
    mkdirSync(dataDir, { recursive: true })
    lock = lockDataDir(dataDir)
  }
  const progress = opts.progress ?? (() => {})
  try {
    if (inMemory || opts.loadDataDir) {
      // a throwaway or a fixture: nothing to say
    } else if (!isFreshDataDir(dataDir)) {
      progress(`opening the database in ${dataDir}`)
    } else if (hasPgliteTemplate()) {
      // Said before the copy (tens of MB, seconds on a slow disk), so the wait is never silent.
      progress(`creating the database in ${dataDir} (from the template npm install made)…`)
      copyPgliteTemplate(dataDir)
    } else {
      progress(`creating the database in ${dataDir} (first run, no template: this takes a while)…`)
    }
    compileWasmOnOneThread()
    const buffersMb = inMemory ? LARGE_POOL_MB : sharedBuffersMb(dataDir)
    // A data directory's PGlite runs on a thread of its own (./pglite-thread.ts): its statements
    // run while this thread goes on with HTTP. A throwaway or a fixture (tests) runs here.
    const pglite = inMemory
      ? await openPgliteHere(dataDir, { sharedBuffersMb: buffersMb, loadDataDir: opts.loadDataDir })
      : await startPgliteThread({ dataDir, sharedBuffersMb: buffersMb })
    // When the app's last statement ended: the tidy waits for a quiet moment (./pglite-tidy.ts).
    let lastStatementAt = 0
    const log = databaseLog(opts.log)
    const db = new Kysely<Database>({
      dialect: new PGliteStatementsAsTheyCome(pglite),
      log(event) {
        lastStatementAt = performance.now()
        log(event)
      },
    })
    const applied = await migrateToLatest(db)
    if (applied.length) progress(`migrated: ${applied.join(', ')}`)
    const stopTidying =
      inMemory || opts.tidy === false ? () => {} : keepTablesTidy(pglite, () => lastStatementAt)
    return {
      db,
      kind: 'pglite',
      location: dataDir,
      pglite,
      announce: (url) => lock?.setUrl(url),
      async close() {
        stopTidying()
        await db.destroy()
        release()
      },
    }
  } catch (err) {
    release()
    throw err
  }
}

/** V8 compiles PGlite's WebAssembly on background threads, by default as many at once as it has
 *  workers (4 in Node), and what they allocate stays in the process (measured at rest: four
 *  thread malloc arenas of 11–25 MB). With one compiling thread the server's RSS at rest was
 *  199–203 MB instead of 223–245 (`npm run bench`, 3 runs each, alternated), peak at c=64 and
 *  identify's req/s unchanged within the machine's noise; the cost is a slower tier-up of code
 *  first run after a start (the dashboard bench's first runs per filter, in a fresh process).
 *  A V8 flag read when V8 compiles, for the whole process: set before PGlite's first compile. */
function compileWasmOnOneThread() {
  setFlagsFromString('--wasm-num-compilation-tasks=1')
}

async function openPostgres(url: string, opts: NodeDbOptions): Promise<NodeDb> {
  // Loaded only here: the embedded default never needs it (measured on Node 20: requiring it alone
  // takes 58–79 ms; the server's start on PGlite, median of 8 alternated runs, 864 → 839 ms).
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        TYPE_PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  // A connection the server drops (a restart, a failover) emits 'error': on the pool when idle,
  // on the client while checked out. Unhandled, either would crash the process (see
  // src/ingest/faults.pg.test.ts). The pool discards such a connection; a query on it gets a 503.
  pool.on('error', (err) => reportUnavailable(err, 'an idle connection'))
  pool.on('connect', (client) => client.on('error', () => {}))
  prepareMarkedStatements(pool)
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: databaseLog(opts.log),
  })
  if (opts.migrate) await migrateToLatest(db)
  const u = new URL(url)
  return {
    db,
    kind: 'postgres',
    pool,
    location: `${u.protocol}//${u.host}${u.pathname}`,
    close: () => db.destroy(),
  }
}
