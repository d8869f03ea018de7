// `npm run dev`: the real Worker (src/worker.ts) under `wrangler dev`, on the same database as
// `npm start` (the PGlite data dir, or DATABASE_URL). workerd cannot open PGlite, so this process
// owns the database (and the data dir's lock) and serves it to the Worker over the loopback Neon
// HTTP endpoint: the Worker runs its production path, Neon's HTTP driver, unchanged.
// PORT and HOST as for `npm start`; arguments after `--` go to wrangler. Ctrl-C stops both.
import { spawn, type ChildProcess } from 'node:child_process'
import { readNodeConfig } from '../src/config.js'
import { DataDirLockedError } from '../src/db/lock.js'
import { openNodeDb, type NodeDb } from '../src/db/node.js'
import { startNeonHttpEndpoint } from './neon-http-endpoint.js'
import { wranglerArgs } from './wrangler-node.js'

// The Worker needs a well-formed DATABASE_URL; with NEON_FETCH_ENDPOINT set, its host is never
// contacted (and no real password lands in wrangler's argv).
const DEV_DATABASE_URL = 'postgres://tinycrm:dev@localhost/tinycrm'

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

let config
try {
  config = readNodeConfig()
} catch (err) {
  fail((err as Error).message)
}
let argv: string[]
try {
  argv = wranglerArgs([]) // fails early, with a clear message, when no Node 22+ is available
} catch (err) {
  fail((err as Error).message)
}

let database: NodeDb
try {
  database = await openNodeDb({ ...config, migrate: true })
} catch (err) {
  if (err instanceof DataDirLockedError) fail(err.message)
  throw err
}
const endpoint = await startNeonHttpEndpoint({ pglite: database.pglite, pool: database.pool })
const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`

const [node, ...cli] = argv
const { DATABASE_URL: _secret, ...childEnv } = process.env
// Miniflare otherwise fetches a sample `request.cf` from workers.cloudflare.com at start (twice):
// offline that prints `getaddrinfo ENOTFOUND workers.cloudflare.com`. The app reads nothing of
// `request.cf`, so the local placeholder does; CLOUDFLARE_CF_FETCH_ENABLED=true fetches it again.
childEnv.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
const wrangler: ChildProcess = spawn(
  node!,
  [
    ...cli,
    'dev',
    '--ip',
    config.host,
    '--port',
    String(config.port),
    '--var',
    `DATABASE_URL:${DEV_DATABASE_URL}`,
    '--var',
    `NEON_FETCH_ENDPOINT:${endpoint.url}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: childEnv },
)

let stopping = false
async function stop(code: number) {
  if (stopping) return
  stopping = true
  await endpoint.close().catch(() => {})
  await database.close().catch(() => {})
  process.exit(code)
}

wrangler.on('exit', (code, signal) => void stop(code ?? (signal ? 0 : 1)))
wrangler.on('error', (err) => {
  console.error(`Could not start wrangler: ${err.message}`)
  void stop(1)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The terminal's Ctrl-C reaches wrangler too; this covers a kill of this process alone.
    if (wrangler.exitCode === null) wrangler.kill(signal)
    setTimeout(() => wrangler.kill('SIGKILL'), 5000).unref()
  })
}

// Announce the URL once the Worker answers through its database, not merely when wrangler listens.
const started = performance.now()
for (let i = 0; i < 240 && wrangler.exitCode === null && !stopping; i++) {
  const ok = await fetch(`${url}/healthz`)
    .then((r) => r.ok)
    .catch(() => false)
  if (ok) {
    const ms = Math.round(performance.now() - started)
    console.log(
      `\nTinyCRM Worker (wrangler dev) ready at ${url} ` +
        `(${database.kind}: ${database.location}, via ${endpoint.url}, ${ms} ms)\n`,
    )
    break
  }
  await new Promise((r) => setTimeout(r, 250))
}
