// A throwaway PostgreSQL server for tests and benches: `initdb` in a temp dir, `postgres` on a free
// loopback port, stopped and removed afterwards. PGlite runs one statement at a time, so races
// (two products sending one new email at once) can only be shown against a real server.
// TINYCRM_PG_LOG=<file> appends the server's log to that file, e.g. to read which statements a
// race test's deadlocks were between (PostgreSQL logs both sides of each).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  accessSync,
  appendFileSync,
  chownSync,
  constants,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import pg from 'pg'

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth, loopback only). */
  url: string
  port: number
  /** The server's version line, e.g. "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)". */
  version: string
  /** The postmaster's pid (for memory figures). */
  pid: number
  /** Stops the server (fast shutdown) and deletes its data directory. */
  stop(): Promise<void>
  /** Stops the server but keeps its data, to simulate an outage: 'fast' disconnects clients
   *  cleanly (pg_ctl stop -m fast), 'immediate' is a crash (recovery runs on restart). */
  halt(mode?: 'fast' | 'immediate'): Promise<void>
  /** Starts a halted server again on the same data directory and port. */
  restart(): Promise<void>
}

export interface StartPostgresOptions {
  /** Keep fsync and synchronous commit on (benches); tests trade durability for speed. */
  durable?: boolean
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>
  /** Give up waiting for the server after this long. */
  timeoutMs?: number
}

const INSTALL_HINT =
  'No PostgreSQL server binaries (initdb, postgres) found on PATH or in ' +
  '/usr/lib/postgresql/*/bin. Install them, e.g. `apt-get install postgresql` (Debian/Ubuntu) ' +
  'or `brew install postgresql` (macOS).'

/** Finds a directory holding both `initdb` and `postgres`: PATH first, then Debian's layout
 *  (newest major first), where `apt-get install postgresql` puts them without touching PATH. */
export function findPostgresBin(): string {
  const debian = (() => {
    try {
      return readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    } catch {
      return []
    }
  })()
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...debian]
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK)
      accessSync(join(dir, 'postgres'), constants.X_OK)
      return dir
    } catch {}
  }
  throw new Error(INSTALL_HINT)
}

/** initdb and postgres refuse to run as root. As root we run them as `postgres` (the user the
 *  Debian package creates) or, failing that, `nobody`: both exist without a `useradd`. */
function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const wanted = process.env.TINYCRM_PG_USER
  for (const name of wanted ? [wanted] : ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
    if (uid.status === 0 && gid.status === 0) {
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name }
    }
  }
  throw new Error(
    `Running as root, and no user ${wanted ? `'${wanted}'` : "'postgres' or 'nobody'"} to run ` +
      'PostgreSQL as (it refuses root). Create one (useradd --system postgres) or set ' +
      'TINYCRM_PG_USER.',
  )
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false
/** If the test runner dies without calling stop(), take the servers down with it. */
function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGQUIT')
  })
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin()
  const user = serverUser()
  const ids = user ? { uid: user.uid, gid: user.gid } : {}
  const dir = mkdtempSync(join(tmpdir(), 'tinycrm-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const dataDir = join(dir, 'data')
  // A minimal environment: the server user can't read root's HOME, and a stray PGDATA/LANG from
  // the caller's shell must not leak in. Locale C needs no generated locales on the machine.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' }

  try {
    const init = spawnSync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '-N'],
      { ...ids, env, cwd: dir, encoding: 'utf8' },
    )
    if (init.status !== 0) {
      throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.error}`)
    }

    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      max_connections: 200,
      // Deadlocks, if any, are found fast, so the retry path runs within a test's time.
      deadlock_timeout: '100ms',
      ...(opts.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...opts.settings,
    }
    const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])

    // The free port may be taken between probing and binding: try a few.
    let lastError: unknown
    const launch = (port: number) => {
      const argv = ['-D', dataDir, '-k', dir, '-p', String(port), ...args]
      const child = spawn(join(bin, 'postgres'), argv, {
        ...ids,
        env,
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let log = ''
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (log.length < 20_000) log += chunk
        if (process.env.TINYCRM_PG_LOG) appendFileSync(process.env.TINYCRM_PG_LOG, chunk)
      })
      return { child, log: () => log }
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      let { child, log } = launch(port)
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`
      try {
        const version = await waitUntilReady(url, child, log, opts.timeoutMs ?? 30_000)
        live.add(child)
        installExitHook()
        return {
          url,
          port,
          version,
          get pid() {
            return child.pid!
          },
          stop: async () => {
            await stopChild(child)
            live.delete(child)
            rmSync(dir, { recursive: true, force: true })
          },
          halt: async (mode = 'fast') => {
            await stopChild(child, mode === 'fast' ? 'SIGINT' : 'SIGQUIT')
            live.delete(child)
          },
          restart: async () => {
            ;({ child, log } = launch(port))
            live.add(child)
            await waitUntilReady(url, child, log, opts.timeoutMs ?? 30_000)
          },
        }
      } catch (err) {
        lastError = err
        await stopChild(child)
      }
    }
    throw lastError
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  log: () => string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`postgres exited (${code ?? signal}) while starting:\n${log()}`)),
    )
  })
  exited.catch(() => {})
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
    try {
      await client.connect()
      const { rows } = await client.query<{ v: string }>(
        `SELECT split_part(version(), ' on ', 1) AS v`,
      )
      return rows[0]!.v
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      await client.end().catch(() => {})
    }
  }
  throw new Error(`postgres did not accept connections within ${timeoutMs} ms:\n${log()}`)
}

/** SIGINT is Postgres' "fast" shutdown: clients are disconnected, nothing is waited for.
 *  SIGQUIT is "immediate": every process quits at once, as in a crash. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT') {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
