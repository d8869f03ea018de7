// Node entry: `npm start`. Serves the app on PORT over the embedded PGlite (or DATABASE_URL).
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { compress } from 'hono/compress'
import { every } from 'hono/combine'
import { etag } from 'hono/etag'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createApp } from './app.js'
import { readNodeConfig } from './config.js'
import { openNodeDb } from './db/node.js'
import { DataDirLockedError } from './db/lock.js'
import { loopbackHosts } from './middleware/host-check/index.js'
import { LOGIN_RATE_LIMIT, memoryRateLimiter } from './lib/rate-limit.js'
import { expireOldData } from './retention.js'
import { msSinceLaunch } from './launch-time.js'

const config = readNodeConfig()
const progress = (message: string) => console.log(`TinyCRM: ${message}`)
let database
try {
  database = await openNodeDb({ ...config, migrate: true, progress })
} catch (err) {
  if (err instanceof DataDirLockedError) {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}
const { db, kind, location, close, announce } = database

const publicDir = fileURLToPath(new URL('../public', import.meta.url))
/** A digest of every file under public/assets: page URLs carry it (`app.css?v=…`), so a file asked
 *  for with the current one may be kept by browsers for good, and a new version is a new URL. */
function assetDigest(dir: string): string {
  const hash = createHash('sha256')
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else hash.update(entry.name).update(readFileSync(path))
    }
  }
  walk(dir)
  return hash.digest('hex').slice(0, 12)
}
const assetVersion = assetDigest(join(publicDir, 'assets'))

const app = createApp({
  db,
  config: {
    publicUrl: config.publicUrl,
    signup: config.signup,
    assetVersion,
    allowedHosts: loopbackHosts(config.host, config.publicUrl),
  },
  // Static files of public/ (assets, and the packed SDK of this very version, built by
  // scripts/pack-sdk.mjs, for `npm install <url>`); on Cloudflare the Worker's static assets serve
  // the same folder. An ETag lets a browser revalidate cheaply (304); a URL with the current
  // `?v=` is kept for a year.
  assets: every(
    etag(),
    serveStatic({
      root: publicDir,
      onFound: (_path, c) => {
        const current = c.req.query('v') === assetVersion
        c.header('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache')
      },
    }),
  ),
  // Pages, styles, scripts and CSV exports go compressed (JSON stays as it is: the ingest API's
  // answers are a few bytes). On Cloudflare the edge compresses instead.
  compression: compress({
    contentTypeFilter: /^(text\/(html|css|csv|javascript)|application\/javascript|image\/svg\+xml)/,
  }),
  ingestLimiter: config.ingestRateLimit
    ? memoryRateLimiter({ limit: config.ingestRateLimit, periodSeconds: 10 })
    : undefined,
  loginLimiter: memoryRateLimiter(LOGIN_RATE_LIMIT),
})

// Abandoned CSV imports and old billing event ids expire (src/retention.ts): once the server is
// ready (not competing with start-up for PGlite's one connection), then every hour (on Workers, a
// Cron Trigger does it).
const expire = () =>
  expireOldData(db).catch((err: Error) => console.warn('expiring old data failed:', err.message))
setInterval(() => void expire(), 3_600_000).unref()

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`
  announce?.(url)
  // The whole wait: since `npm start` began (npm's own start included, ./launch-time.ts).
  const ms = msSinceLaunch()
  console.log(`TinyCRM ready at ${url} (${kind}: ${location}, ${ms} ms)`)
  void announceFirstRun(config.publicUrl ?? url).then(expire)
})

// The port taken (often another TinyCRM, or `wrangler dev` on its default 8787): say so and how
// to pick another, rather than Node's unhandled 'error' stack trace.
server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err
  const why = err.code === 'EADDRINUSE' ? 'is in use by another program' : 'is not allowed here'
  console.error(`Port ${config.port} on ${config.host} ${why}: start with PORT=<another port>`)
  void close().finally(() => process.exit(1))
})

/** A database without any account (the first run): say where to make the first one. */
async function announceFirstRun(baseUrl: string) {
  const anyone = await db
    .selectFrom('accounts')
    .select('id')
    .limit(1)
    .executeTakeFirst()
    .catch(() => ({ id: 0 })) // unreachable database: the first request will say so
  if (anyone) return
  console.log(`No account yet: sign up at ${baseUrl.replace(/\/$/, '')}/signup`)
}

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  console.log(`${signal}: shutting down`)
  server.close()
  await close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
