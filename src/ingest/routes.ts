// POST /v1/identify, /v1/ping and /v1/batch: the ingest API that products' backends (and the SDK)
// call with a project key. Each request is one SQL statement (see ./upsert.ts), the key check
// included.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { ApiError } from '../lib/errors.js'
import { jsonBody } from '../lib/http.js'
import type { RateLimiter } from '../lib/rate-limit.js'
import { validationError } from '../lib/validation.js'
import { bodyLimit } from '../middleware/body-limit/index.js'
import { gunzip } from '../middleware/content-encoding/index.js'
import { apiCors } from '../middleware/cors/index.js'
import { projectKey, type ProjectKeyEnv } from '../middleware/project-key/index.js'
import { rateLimit } from '../middleware/rate-limit/index.js'
import {
  LIMITS,
  batchBody,
  batchItem,
  identifyBody,
  pingBody,
  type BatchItem,
  type IdentifyInput,
  type PingInput,
} from './schemas.js'
import { ingest } from './upsert.js'

const encoder = new TextEncoder()

type Ctx<T> = Context<ProjectKeyEnv, string, { in: { json: unknown }; out: { json: T } }>

async function identify(c: Ctx<IdentifyInput>) {
  const body = c.req.valid('json')
  const [result] = await ingest(c.var.db, c.var.keyHash, [{ ...body, type: 'identify' }])
  if (result?.type !== 'identify') throw new Error('identify returned no result')
  return c.json({ ok: true, customerId: result.customerId, created: result.created })
}

async function ping(c: Ctx<PingInput>) {
  const body = c.req.valid('json')
  const [result] = await ingest(c.var.db, c.var.keyHash, [{ ...body, type: 'ping' }])
  if (result?.type !== 'ping') throw new Error('ping returned no result')
  return c.json({ ok: true, found: result.found, customerId: result.customerId ?? null })
}

async function batch(c: Ctx<{ batch: unknown[] }>) {
  const { batch } = c.req.valid('json')
  // Each item is validated alone: a bad item fails alone, the good ones are written.
  const valid: BatchItem[] = []
  const errors = new Map<number, ApiError>()
  batch.forEach((raw, index) => {
    const parsed = batchItem.safeParse(raw)
    if (!parsed.success) {
      errors.set(index, validationError(parsed.error, { prefix: `batch.${index}` }))
      return
    }
    // 32 KB per identify or ping, as a call alone (413) and as Segment's batch events: an item
    // over it fails alone. Measured once it parsed (its params nest at most 32 deep).
    const bytes = encoder.encode(JSON.stringify(raw)).length
    if (bytes > LIMITS.singleBody) {
      const message = `item is ${(bytes / 1024).toFixed(1)} KB; at most 32 KB`
      const path = `batch.${index}`
      errors.set(
        index,
        new ApiError('validation_failed', `${path}: ${message}`, [{ path, message }]),
      )
      return
    }
    valid.push(parsed.data)
  })
  const written = await ingest(c.var.db, c.var.keyHash, valid)
  let next = 0
  const results = batch.map((_, index) => {
    const error = errors.get(index)
    if (error) return { index, ok: false as const, error: error.toJSON() }
    return { index, ok: true as const, ...written[next++]! }
  })
  return c.json({ ok: true, succeeded: valid.length, failed: errors.size, results })
}

export function ingestRoutes(limiter?: RateLimiter) {
  const app = new Hono<ProjectKeyEnv>()
  // Scoped to the ingest paths, so other /v1 routers (the account API) mount in any order.
  const paths = ['/identify', '/ping', '/batch']
  for (const path of paths) {
    app.use(path, apiCors())
    app.use(path, projectKey())
  }
  app.on(
    'POST',
    paths,
    rateLimit<ProjectKeyEnv>(limiter, {
      key: (c) => c.var.keyHash,
      message: 'Too many requests for this API key; retry later',
    }),
  )
  app.post('/identify', bodyLimit(LIMITS.singleBody), jsonBody(identifyBody), identify)
  app.post('/ping', bodyLimit(LIMITS.singleBody), gunzip, jsonBody(pingBody), ping)
  app.post('/batch', bodyLimit(LIMITS.batchBody), jsonBody(batchBody), batch)
  return app
}
