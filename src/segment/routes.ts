// Segment's HTTP tracking API on TinyCRM's /v1 routes, so a Segment library delivers here with only
// its host changed: /identify, /track, /page, /screen, /group, /alias and /batch (as
// @segment/analytics-node and the server libraries call them), /import (Segment's other name for
// /batch), and analytics.js's short paths /i, /t, /p, /s, /g, /a and /b. /identify and /batch are
// TinyCRM's own routes too (src/ingest/routes.ts): they read the body once and hand a call in
// Segment's shape (see isSegmentShaped) to segmentCall or segmentBatch here. The key comes as
// Segment's libraries send it (Basic, the key as user name; or `writeKey` in the body) or as a
// Bearer token. /batch also takes what Segment's Webhooks (Actions) destination posts to it: one
// event, or (batching on) a bare array of events.
// Answers as Segment does: 200 `{"success": true}`.
// A gzipped body (`Content-Encoding: gzip`, as Segment's server libraries can send) is read as if
// sent plain (../middleware/content-encoding).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { HonoEnv } from '../env.js'
import { limitedKeyHash } from '../ingest/project-key.js'
import { batchItem, LIMITS, type BatchItem } from '../ingest/schemas.js'
import { ApiError, type ErrorDetail } from '../lib/errors.js'
import type { RateLimiter } from '../lib/rate-limit.js'
import { readJsonBody } from '../lib/http.js'
import { issueDetails } from '../lib/validation.js'
import { bodyLimit } from '../middleware/body-limit/index.js'
import { apiCors } from '../middleware/cors/index.js'
import { gunzip } from '../middleware/content-encoding/index.js'
import { batchEvents, isObject, isSegmentShaped } from './shape.js'
import {
  batchSentAt,
  parseEvent,
  resolveWithinRequest,
  type SegmentRow,
  type SegmentType,
} from './spec.js'
import { applySegmentEvents } from './store.js'

/** Segment's paths besides /identify and /batch, which TinyCRM's ingest routes serve. */
const SINGLE_PATHS: Record<string, SegmentType> = {
  '/track': 'track',
  '/page': 'page',
  '/screen': 'screen',
  '/group': 'group',
  '/alias': 'alias',
  '/i': 'identify',
  '/t': 'track',
  '/p': 'page',
  '/s': 'screen',
  '/g': 'group',
  '/a': 'alias',
}
const BATCH_PATHS = ['/import', '/b']

/** A TinyCRM item in a Segment batch, as the row its identify or ping writes. */
function tinycrmRow(item: BatchItem, n: number, receivedAt: Date): SegmentRow {
  const base = {
    n,
    message_id: null,
    email: item.email,
    lookup: [],
    links: [],
    name: null,
    status: null,
    patch: {},
    once: null,
    ts: (item.timestamp ?? receivedAt).toISOString(),
    ping: item.type === 'ping',
    write: true,
    source: 'api' as const,
  }
  if (item.type === 'ping') return base
  return {
    ...base,
    name: item.name?.trim() || null,
    status: item.status ?? null,
    patch: item.params ?? {},
    once: item.paramsOnce ?? null,
  }
}

/** Writes the rows of a request's valid events in the one ingest statement, which also checks
 *  the key: it runs with no rows too, so a request whose events are all invalid still answers
 *  401/403 for a bad key before the 400 for its events, with no extra round trip. */
async function apply(
  c: Context<HonoEnv>,
  limiter: RateLimiter | undefined,
  writeKey: unknown,
  rows: SegmentRow[],
) {
  const keyHash = await limitedKeyHash(c, limiter, writeKey)
  return applySegmentEvents(c.var.db, keyHash, resolveWithinRequest(rows))
}

/** A single call in Segment's shape (its body as readJsonBody read it) on the route for `type`. */
export async function segmentCall(
  c: Context<HonoEnv>,
  type: SegmentType,
  body: unknown,
  limiter: RateLimiter | undefined,
) {
  if (body instanceof ApiError) throw body
  const receivedAt = new Date()
  const parsed = parseEvent(body, { n: 0, type, receivedAt })
  await apply(c, limiter, isObject(body) ? body.writeKey : undefined, parsed.ok ? [parsed.row] : [])
  if (!parsed.ok) throw invalid(parsed.details)
  return c.json({ success: true })
}

/** The rows of a batch's valid events, and the 400 for the rest (or for the batch itself). Each
 *  event is read alone: a bad one fails alone, and the others are written. */
function readBatch(body: unknown, receivedAt: Date): { rows: SegmentRow[]; problem?: ApiError } {
  const events = batchEvents(body)
  if (!events || events.length === 0) {
    const details = [{ path: 'batch', message: 'batch must be an array of at least one event' }]
    return { rows: [], problem: invalid(details) }
  }
  if (events.length > LIMITS.batchItems) {
    const details = [{ path: 'batch', message: `batch holds at most ${LIMITS.batchItems} events` }]
    return { rows: [], problem: invalid(details) }
  }
  const envelope = isObject(body) && Array.isArray(body.batch) ? body : {}
  const sentAt = batchSentAt(envelope.sentAt)
  if (!sentAt.ok) return { rows: [], problem: invalid(sentAt.details) }
  const rows: SegmentRow[] = []
  const details: ErrorDetail[] = []
  events.forEach((raw, n) => {
    const prefix = `batch.${n}`
    if (isSegmentShaped(raw)) {
      const parsed = parseEvent(raw, { n, sentAt: sentAt.sentAt, receivedAt, prefix })
      if (parsed.ok) rows.push(parsed.row)
      else details.push(...parsed.details)
      return
    }
    const own = batchItem.safeParse(raw)
    if (own.success) rows.push(tinycrmRow(own.data, n, receivedAt))
    else details.push(...issueDetails(own.error, { prefix }))
  })
  if (!details.length) return { rows }
  const accepted = `${rows.length} of ${events.length} events were accepted`
  return { rows, problem: invalid(details, accepted) }
}

/** The key of a batch: its envelope's `writeKey`, else its first event's. */
function batchWriteKey(body: unknown): unknown {
  const first = batchEvents(body)?.[0]
  return (
    (isObject(body) ? body.writeKey : undefined) ?? (isObject(first) ? first.writeKey : undefined)
  )
}

/** A batch in Segment's shape (its body as readJsonBody read it): each event read alone. */
export async function segmentBatch(
  c: Context<HonoEnv>,
  body: unknown,
  limiter: RateLimiter | undefined,
) {
  if (body instanceof ApiError) throw body
  const { rows, problem } = readBatch(body, new Date())
  await apply(c, limiter, batchWriteKey(body), rows)
  if (problem) throw problem
  return c.json({ success: true })
}

function invalid(details: ErrorDetail[], note?: string) {
  const message = details.map((d) => `${d.path}: ${d.message}`).join('; ')
  return new ApiError('validation_failed', note ? `${message} (${note})` : message, details)
}

/** The routes only Segment's calls take (/identify and /batch: src/ingest/routes.ts). */
export function segmentRoutes(limiter?: RateLimiter) {
  const app = new Hono<HonoEnv>()
  for (const path of [...Object.keys(SINGLE_PATHS), ...BATCH_PATHS]) app.use(path, apiCors())
  for (const [path, type] of Object.entries(SINGLE_PATHS)) {
    app.post(path, bodyLimit(LIMITS.singleBody), gunzip, async function segmentSingleRoute(c) {
      return segmentCall(c, type, await readJsonBody(c), limiter)
    })
  }
  for (const path of BATCH_PATHS) {
    app.post(path, bodyLimit(LIMITS.batchBody), gunzip, async function segmentBatchRoute(c) {
      return segmentBatch(c, await readJsonBody(c), limiter)
    })
  }
  return app
}
