// POST /v1/identify, /v1/ping and /v1/batch: the ingest API that products' backends (and the SDK)
// call with a project key. Each request is one SQL statement (see ./upsert.ts).
import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { zValidator } from '@hono/zod-validator'
import type { z } from 'zod'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { hashKey, looksLikeProjectKey } from '../lib/keys.js'
import type { RateLimiter } from '../lib/rate-limit.js'
import {
  LIMITS,
  batchBody,
  batchItem,
  identifyBody,
  pingBody,
  validationError,
  type BatchItem,
} from './schemas.js'
import { ingest } from './upsert.js'

type IngestEnv = HonoEnv & { Variables: { keyHash: string } }

/** Reads `Authorization: Bearer tcrm_proj_…`; the key itself is checked by the ingest statement. */
const projectKey: MiddlewareHandler<IngestEnv> = async (c, next) => {
  const header = c.req.header('Authorization') ?? ''
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) {
    throw new ApiError('unauthorized', 'Missing API key: send Authorization: Bearer tcrm_proj_…')
  }
  const key = match[1]!
  if (!looksLikeProjectKey(key)) {
    throw new ApiError('unauthorized', 'Unknown API key: project keys start with tcrm_proj_')
  }
  c.set('keyHash', await hashKey(key))
  await next()
}

const jsonOnly: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
    throw new ApiError(
      'unsupported_media_type',
      `Content-Type must be application/json (got ${type ? `'${type}'` : 'none'})`,
    )
  }
  await next()
}

const maxBody = (bytes: number) =>
  bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new ApiError('payload_too_large', `Request body is over the ${bytes / 1024} KB limit`)
    },
  })

const json = <T extends z.ZodType>(schema: T) =>
  zValidator('json', schema, (result) => {
    if (!result.success) throw validationError(result.error)
  })

export function ingestRoutes(limiter?: RateLimiter) {
  const app = new Hono<IngestEnv>()
  // Scoped to the ingest paths, so other /v1 routers (the account API) mount in any order.
  const paths = ['/identify', '/ping', '/batch']
  for (const path of paths) {
    app.use(
      path,
      cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], maxAge: 86400 }),
    )
    app.use(path, projectKey)
  }
  if (limiter) {
    app.on('POST', paths, async (c, next) => {
      if (!(await limiter.limit(c.var.keyHash))) {
        throw new ApiError(
          'rate_limited',
          'Too many requests for this API key; retry later',
          undefined,
          {
            'Retry-After': String(limiter.retryAfterSeconds),
          },
        )
      }
      await next()
    })
  }

  app.post('/identify', jsonOnly, maxBody(LIMITS.singleBody), json(identifyBody), async (c) => {
    const body = c.req.valid('json')
    const [result] = await ingest(c.var.db, c.var.keyHash, [{ ...body, type: 'identify' }])
    if (result?.type !== 'identify') throw new Error('identify returned no result')
    return c.json({ ok: true, customerId: result.customerId, created: result.created })
  })

  app.post('/ping', jsonOnly, maxBody(LIMITS.singleBody), json(pingBody), async (c) => {
    const body = c.req.valid('json')
    const [result] = await ingest(c.var.db, c.var.keyHash, [{ ...body, type: 'ping' }])
    if (result?.type !== 'ping') throw new Error('ping returned no result')
    return c.json({ ok: true, found: result.found, customerId: result.customerId ?? null })
  })

  app.post('/batch', jsonOnly, maxBody(LIMITS.batchBody), json(batchBody), async (c) => {
    const { batch } = c.req.valid('json')
    // Each item is validated alone: a bad item fails alone, the good ones are written.
    const valid: BatchItem[] = []
    const errors = new Map<number, ApiError>()
    batch.forEach((raw, index) => {
      const parsed = batchItem.safeParse(raw)
      if (parsed.success) valid.push(parsed.data)
      else errors.set(index, validationError(parsed.error, `batch.${index}`))
    })
    const written = await ingest(c.var.db, c.var.keyHash, valid)
    let next = 0
    const results = batch.map((_, index) => {
      const error = errors.get(index)
      if (error) return { index, ok: false as const, error: error.toJSON() }
      return { index, ok: true as const, ...written[next++]! }
    })
    return c.json({ ok: true, succeeded: valid.length, failed: errors.size, results })
  })

  return app
}
