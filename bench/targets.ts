// What a bench runs against: the real Node server (src/node.ts, as `npm start` runs it) in its own
// process, over (a) the embedded PGlite in a temp data dir or (b) a throwaway PostgreSQL server.
// Each target is seeded with one account and two projects (with identify's returning customers)
// first, and reports the server's RSS.
// The raw-SQL side runs in the bench process on `rawDbOptions`, while the server runs: the same
// PostgreSQL database, or for PGlite (a data dir has one owner at a time) a copy of the server's
// data dir made once seeded, so both sides start from the same data.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createAccount } from '../src/accounts/store.js'
import { createConnection, webhookPath } from '../src/billing/connections.js'
import { createProject } from '../src/projects/store.js'
import { ingest } from '../src/ingest/upsert.js'
import { hashKey } from '../src/lib/keys.js'
import { openNodeDb, type NodeDbOptions } from '../src/db/node.js'
import { startPostgres } from '../test/support/postgres-server.js'
import { identifyPool } from './workload.js'

export type TargetName = 'pglite' | 'postgres'
export const TARGETS: TargetName[] = ['pglite', 'postgres']

export interface Target {
  name: TargetName
  /** What the database is, for the report (e.g. "PostgreSQL 15.18, fsync on"). */
  database: string
  baseUrl: string
  /** One project key per seeded project. */
  keys: string[]
  /** A Stripe connection of the first project: its webhook path and signing secret. */
  billing: { path: string; secret: string }
  /** How the bench process opens the raw side's database: the server's on PostgreSQL, a copy of
   *  its data dir as seeded on PGlite. */
  rawDbOptions: NodeDbOptions
  serverPid: number
  /** Resident set size of the Node server process, in bytes. */
  rss(): number
  /** Stops the Node server only; the database stays for the in-process benches. */
  stopServer(): Promise<void>
  /** Stops the server and the database and removes their files. */
  stop(): Promise<void>
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export async function startTarget(
  name: TargetName,
  opts: { postgresFsync?: boolean } = {},
): Promise<Target> {
  const cleanups: (() => Promise<void> | void)[] = []
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn()
  }
  try {
    let dbOpts: NodeDbOptions
    let rawDbOpts: NodeDbOptions
    let env: Record<string, string>
    let database: string
    if (name === 'pglite') {
      const dir = mkdtempSync(join(tmpdir(), 'tinycrm-bench-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const dataDir = join(dir, 'data')
      dbOpts = { dataDir }
      rawDbOpts = { dataDir: join(dir, 'raw'), tidy: false }
      env = { TINYCRM_DATA_DIR: dataDir }
      database = 'PGlite 0.5 (embedded, data dir on disk)'
    } else {
      // fsync on by default: the figures should be those of a server that keeps its data.
      const durable = opts.postgresFsync ?? true
      const server = await startPostgres({ durable })
      cleanups.push(() => server.stop())
      const admin = new pg.Client({ connectionString: server.url })
      await admin.connect()
      await admin.query('CREATE DATABASE tinycrm_bench')
      await admin.end()
      const url = server.url.replace(/\/postgres$/, '/tinycrm_bench')
      // The server's own pool size (the default): the raw side runs as many statements at once
      // as the server can, so API/raw compares the web layer and not the pools (a pool of 64
      // gave the raw side 10–35 % more at c=16 and c=64 than the server's 10, measured).
      dbOpts = { databaseUrl: url, migrate: true }
      rawDbOpts = dbOpts
      env = { DATABASE_URL: url }
      database = `${server.version} (local, fsync ${durable ? 'on' : 'off'})`
    }
    const { keys, billing } = await seed(dbOpts)
    if (rawDbOpts.dataDir) cpSync(dbOpts.dataDir!, rawDbOpts.dataDir, { recursive: true })
    // The rate limit (10,000 per 10 s per key by default) would cap the figures, not the server.
    const server = await startServer({ ...env, TINYCRM_INGEST_RATE_LIMIT: '0' })
    cleanups.push(() => stopServer(server.child))
    return {
      name,
      database,
      baseUrl: server.baseUrl,
      keys,
      billing,
      rawDbOptions: rawDbOpts,
      stopServer: () => stopServer(server.child),
      serverPid: server.child.pid!,
      rss: () => rssOf(server.child.pid!),
      stop: cleanup,
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

export const BENCH_WEBHOOK_SECRET = 'whsec_bench_0123456789abcdefghij'

/** Creates the account, projects and a Stripe connection before the server starts: a PGlite data
 *  dir has one owner. */
async function seed(opts: NodeDbOptions) {
  const { db, close } = await openNodeDb(opts)
  try {
    const { accountId } = await createAccount(db, {
      email: 'bench@example.com',
      password: 'bench password',
    })
    const projects = []
    for (const name of ['Bench A', 'Bench B'])
      projects.push(await createProject(db, { accountId, name }))
    // identify's returning customers exist before its runs, on every side (./workload.ts).
    for (const { key } of projects) {
      const keyHash = await hashKey(key)
      for (const batch of identifyPool()) await ingest(db, keyHash, batch)
    }
    const connection = await createConnection(db, {
      accountId,
      projectId: projects[0]!.project.id,
      provider: 'stripe',
      signingSecret: BENCH_WEBHOOK_SECRET,
    })
    return {
      keys: projects.map((p) => p.key),
      billing: { path: webhookPath(connection!.id), secret: BENCH_WEBHOOK_SECRET },
    }
  } finally {
    await close()
  }
}

/** Runs the server as `npm start` does (scripts/start.mjs: the bundled src/node.ts, in one
 *  process) on a port the OS picks, and waits for its "ready at <url>" line. BENCH_SERVER_ARGS:
 *  flags for its Node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it (Node refuses
 *  --cpu-prof in NODE_OPTIONS). */
export async function startServer(extraEnv: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...extraEnv }
  if (!extraEnv.DATABASE_URL) delete env.DATABASE_URL
  const nodeArgs = process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []
  const child = spawn(process.execPath, [...nodeArgs, 'scripts/start.mjs'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /ready at (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}):\n${output}`))
    })
  })
  return { child, baseUrl, output: () => output }
}

export async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

/** Linux's /proc, or `ps` elsewhere (macOS). */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (kb) return Number(kb[1]) * 1024
  } catch {}
  const ps = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' })
  const kb = Number(ps.trim())
  if (!Number.isFinite(kb)) throw new Error(`no RSS for pid ${pid}`)
  return kb * 1024
}
