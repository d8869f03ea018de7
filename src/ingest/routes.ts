// POST /v1/identify, /v1/ping and /v1/batch: the ingest API that products' backends (and the SDK)
// call with a project key. Each request is one SQL statement (see ./upsert.ts), the key check
// included. /identify and /batch also take Segment's calls (src/segment/routes.ts): each route
// reads its body once and hands one in Segment's shape on to Segment's handler.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type * as z from 'zod/mini'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { notSentAsJson, readJsonBody } from '../lib/http.js'
import type { RateLimiter } from '../lib/rate-limit.js'
import { validationError } from '../lib/validation.js'
import { bodyLimit } from '../middleware/body-limit/index.js'
import { gunzip } from '../middleware/content-encoding/index.js'
import { apiCors } from '../middleware/cors/index.js'
import { segmentBatch, segmentCall } from '../segment/routes.js'
import { isSegmentBatch, isSegmentShaped } from '../segment/shape.js'
import { limitedKeyHash } from './project-key.js'
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

type Ctx = Context<HonoEnv>

/** A call in TinyCRM's own shape: its key first (401), then its rate (429), then its body (read by
 *  readJsonBody), which must be sent as JSON (415), be JSON (400 `invalid_json`) and be what
 *  `schema` says (400 naming each bad field). */
async function ownCall<T extends z.ZodMiniType>(
  c: Ctx,
  limiter: RateLimiter | undefined,
  schema: T,
  body: unknown,
): Promise<{ keyHash: string; input: z.output<T> }> {
  const keyHash = await limitedKeyHash(c, limiter)
  const notJson = notSentAsJson(c)
  if (notJson) throw notJson
  if (body instanceof ApiError) throw body
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw validationError(parsed.error)
  return { keyHash, input: parsed.data }
}

async function identify(c: Ctx, { keyHash, input }: { keyHash: string; input: IdentifyInput }) {
  const [result] = await ingest(c.var.db, keyHash, [{ ...input, type: 'identify' }])
  if (result?.type !== 'identify') throw new Error('identify returned no result')
  return c.json({ ok: true, customerId: result.customerId, created: result.created })
}

async function ping(c: Ctx, { keyHash, input }: { keyHash: string; input: PingInput }) {
  const [result] = await ingest(c.var.db, keyHash, [{ ...input, type: 'ping' }])
  if (result?.type !== 'ping') throw new Error('ping returned no result')
  return c.json({ ok: true, found: result.found, customerId: result.customerId ?? null })
}

async function batch(c: Ctx, { keyHash, input }: { keyHash: string; input: { batch: unknown[] } }) {
  const { batch } = input
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
  const written = await ingest(c.var.db, keyHash, valid)
  let next = 0
  const results = batch.map((_, index) => {
    const error = errors.get(index)
    if (error) return { index, ok: false as const, error: error.toJSON() }
    return { index, ok: true as const, ...written[next++]! }
  })
  return c.json({ ok: true, succeeded: valid.length, failed: errors.size, results })
}

export function ingestRoutes(limiter?: RateLimiter) {
  const app = new Hono<HonoEnv>()
  // Scoped to the ingest paths, so other /v1 routers (the account API) mount in any order.
  for (const path of ['/identify', '/ping', '/batch']) app.use(path, apiCors())
  app.post('/identify', bodyLimit(LIMITS.singleBody), gunzip, async function identifyRoute(c) {
    const body = await readJsonBody(c)
    if (isSegmentShaped(body)) return segmentCall(c, 'identify', body, limiter)
    return identify(c, await ownCall(c, limiter, identifyBody, body))
  })
  app.post('/ping', bodyLimit(LIMITS.singleBody), gunzip, async function pingRoute(c) {
    return ping(c, await ownCall(c, limiter, pingBody, await readJsonBody(c)))
  })
  app.post('/batch', bodyLimit(LIMITS.batchBody), gunzip, async function batchRoute(c) {
    const body = await readJsonBody(c)
    if (isSegmentBatch(body)) return segmentBatch(c, body, limiter)
    return batch(c, await ownCall(c, limiter, batchBody, body))
  })
  return app
}
