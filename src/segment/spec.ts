// Segment's tracking spec (identify, track, page, screen, group, alias) as TinyCRM reads it (which
// bodies are Segment's: ./shape.ts): what an event must hold, and what each becomes — a row for the
// ingest statement (src/segment/store.ts). Lenient where Segment is (its libraries add `context`,
// `integrations`, `_metadata` and more: kept out of the way, never refused), strict where TinyCRM
// must be, by TinyCRM's own rules (a value Postgres cannot store or nested too deep, a timestamp
// before 1970 or far in the future, an event over 32 KB).
import * as z from 'zod/mini'
import { LIMITS, NESTING_PROBLEM, nestedTooDeep, params } from '../ingest/schemas.js'
import { emailSchema } from '../lib/email.js'
import type { ErrorDetail } from '../lib/errors.js'
import { parseStatus } from '../lib/status.js'
import { hasLoneSurrogate, LONE_SURROGATE_PROBLEM } from '../lib/text.js'
import { timeProblem } from '../lib/time.js'
import { issueDetails } from '../lib/validation.js'
import { isObject } from './shape.js'

export const SEGMENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const
export type SegmentType = (typeof SEGMENT_TYPES)[number]

const id = z.pipe(
  z.pipe(
    z.union([z.string(), z.number()], { error: 'must be a string or a number' }),
    z.transform(String),
  ),
  z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(500, 'is longer than 500 characters'),
    z.refine((s) => !s.includes('\u0000'), 'contains a NUL character'),
    z.refine((s) => !hasLoneSurrogate(s), LONE_SURROGATE_PROBLEM),
  ),
)

const isoTime = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time with its UTC offset, e.g. 2026-03-29T12:00:00Z',
})

/** A batch's own `sentAt` (its sender's clock, which corrects every event's originalTimestamp):
 *  a date-time, or none. */
export function batchSentAt(
  value: unknown,
): { ok: true; sentAt: string | undefined } | { ok: false; details: ErrorDetail[] } {
  const parsed = z.nullish(isoTime).safeParse(value)
  if (parsed.success) return { ok: true, sentAt: parsed.data ?? undefined }
  return { ok: false, details: issueDetails(parsed.error, { prefix: 'sentAt' }) }
}

/** PostHog's set-once params: each key set only where the relation lacks it (`paramsOnce`). */
const SET_ONCE_ERROR = '$set_once must be an object of key/value pairs'
const setOnce = z.pipe(
  z.custom<Record<string, unknown>>(isObject, { error: SET_ONCE_ERROR }),
  params,
)

const traits = z.optional(
  params.check(
    z.superRefine((value, ctx) => {
      const once = value.$set_once
      if (once !== undefined && once !== null && !isObject(once)) {
        ctx.addIssue({ code: 'custom', path: ['$set_once'], message: SET_ONCE_ERROR })
      }
    }),
  ),
)

/** One Segment event. Fields TinyCRM does not read pass untouched. */
export const segmentEvent = z.looseObject({
  type: z.enum(SEGMENT_TYPES, { error: `type must be one of ${SEGMENT_TYPES.join(', ')}` }),
  messageId: z.optional(
    z.string({ error: 'messageId must be a string' }).check(
      z.minLength(1, 'messageId must not be empty'),
      z.maxLength(200, 'messageId is longer than 200 characters'),
      z.refine((s) => !s.includes('\u0000'), 'messageId contains a NUL character'),
      z.refine((s) => !hasLoneSurrogate(s), `messageId ${LONE_SURROGATE_PROBLEM}`),
    ),
  ),
  userId: z.nullish(id),
  anonymousId: z.nullish(id),
  previousId: z.nullish(id),
  groupId: z.nullish(id),
  traits,
  context: z.optional(z.looseObject({ traits, $set_once: z.nullish(setOnce) })),
  event: z.optional(z.string({ error: 'event must be a string' })),
  timestamp: z.optional(isoTime),
  originalTimestamp: z.optional(isoTime),
  sentAt: z.optional(isoTime),
})
type SegmentEvent = z.output<typeof segmentEvent>

/** What one event asks of the ingest statement (src/segment/store.ts). */
export interface SegmentRow {
  /** Its place in the request: the later of two events wins the name, and a tie of times. */
  n: number
  message_id: string | null
  /** The customer's email when the call names it (or an earlier call of the request did). */
  email: string | null
  /** External ids to find the customer by in the project (segment_ids), first match wins. */
  lookup: string[]
  /** External ids remembered as this customer's once it is found. */
  links: string[]
  name: string | null
  status: string | null
  /** Shallow patch of params; a key sent as null is removed. */
  patch: Record<string, unknown>
  /** Set-once params (`$set_once`): each key set only where the relation lacks it. */
  once: Record<string, unknown> | null
  ts: string
  /** Activity only (track, page, screen): moves last activity, never creates a customer. */
  ping: boolean
  /** False for alias: only links ids, writes no customer. */
  write: boolean
  /** Who wrote it, for the relation's history: Segment's call, or a TinyCRM item in its batch. */
  source: 'segment' | 'api'
}

export type Parsed = { ok: true; row: SegmentRow } | { ok: false; details: ErrorDetail[] }

const encoder = new TextEncoder()

const asEmail = (value: unknown): string | null => {
  const parsed = emailSchema.safeParse(value)
  return parsed.success ? parsed.data : null
}

/** Segment's rule: `timestamp`, else `originalTimestamp` moved by the sender's clock skew
 *  (`sentAt` against arrival), else arrival; with the field it came from. */
function eventTime(event: SegmentEvent, sentAtOfBatch: string | undefined, receivedAt: Date) {
  if (event.timestamp) return { at: new Date(event.timestamp), field: 'timestamp' }
  const sentAt = event.sentAt ?? sentAtOfBatch
  if (event.originalTimestamp) {
    const original = new Date(event.originalTimestamp).getTime()
    const skew = sentAt ? receivedAt.getTime() - new Date(sentAt).getTime() : 0
    return { at: new Date(original + skew), field: 'originalTimestamp' }
  }
  return { at: receivedAt, field: 'timestamp' }
}

/** The first field of an event nested deeper than TinyCRM stores (`''`: the event itself), found
 *  before anything recurses through it whole. */
function tooDeepField(raw: unknown): string | undefined {
  if (!isObject(raw)) return nestedTooDeep(raw) ? '' : undefined
  return Object.keys(raw).find((k) => nestedTooDeep(raw[k]))
}

const NAME_TRAITS = ['email', 'name', 'firstName', 'lastName']

/** The traits of an identify as TinyCRM's fields: email, name, status, and the rest as params. */
function fromTraits(traits: Record<string, unknown>) {
  const patch = Object.create(null) as Record<string, unknown>
  let status: string | null = null
  for (const [k, v] of Object.entries(traits)) {
    if (NAME_TRAITS.includes(k) || k === '$set_once') continue
    const known = k === 'status' && typeof v === 'string' ? parseStatus(v) : undefined
    if (known) status = known
    else patch[k] = v
  }
  const first = typeof traits.firstName === 'string' ? traits.firstName.trim() : ''
  const last = typeof traits.lastName === 'string' ? traits.lastName.trim() : ''
  const full = typeof traits.name === 'string' ? traits.name.trim() : ''
  const name = cutName(full || [first, last].filter(Boolean).join(' ')) || null
  return { name, status, patch }
}

/** A name cut to TinyCRM's 500 characters (UTF-16 units, as the API's own limit counts them),
 *  never inside a character: half of an emoji is a lone surrogate Postgres cannot store. */
function cutName(name: string): string {
  const cut = name.slice(0, 500)
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut
}

/** An identify's set-once params: `context.$set_once`, then `traits.$set_once` over it (the
 *  more specific); a key sent as null sets nothing. Null when there are none. */
function setOnceOf(...objects: unknown[]): Record<string, unknown> | null {
  let once: Record<string, unknown> | null = null
  for (const object of objects) {
    if (!isObject(object)) continue
    // Assignment onto a null-prototype object keeps "__proto__" and friends as plain keys.
    for (const [k, v] of Object.entries(object)) {
      if (v === null) continue
      once ??= Object.create(null) as Record<string, unknown>
      once[k] = v
    }
  }
  return once
}

/**
 * Reads one event (`type` given by a single-call route, else the event's own). An invalid event
 * gets the details of what is wrong, each path prefixed with `prefix` (`batch.3`).
 */
export function parseEvent(
  raw: unknown,
  opts: { n: number; type?: SegmentType; sentAt?: string; receivedAt: Date; prefix?: string },
): Parsed {
  const at = (path: string) => [opts.prefix, path].filter(Boolean).join('.') || '(body)'
  const deep = tooDeepField(raw)
  if (deep !== undefined)
    return { ok: false, details: [{ path: at(deep), message: NESTING_PROBLEM }] }
  const bytes = encoder.encode(JSON.stringify(raw)).length
  if (bytes > LIMITS.singleBody) {
    const kb = (bytes / 1024).toFixed(1)
    return { ok: false, details: [{ path: at(''), message: `event is ${kb} KB; at most 32 KB` }] }
  }
  const input = isObject(raw) && opts.type ? { ...raw, type: opts.type } : raw
  const parsed = segmentEvent.safeParse(input)
  if (!parsed.success) {
    return { ok: false, details: issueDetails(parsed.error, { prefix: opts.prefix }) }
  }
  const e = parsed.data
  const problems: ErrorDetail[] = []
  if (e.type === 'alias') {
    if (!e.userId) problems.push({ path: at('userId'), message: 'alias needs a userId' })
    if (!e.previousId)
      problems.push({ path: at('previousId'), message: 'alias needs a previousId' })
  } else if (!e.userId && !e.anonymousId) {
    problems.push({ path: at('userId'), message: 'userId or anonymousId is required' })
  }
  if (e.type === 'track' && !e.event) {
    problems.push({ path: at('event'), message: 'track needs an event name' })
  }
  if (e.type === 'group' && !e.groupId) {
    problems.push({ path: at('groupId'), message: 'group needs a groupId' })
  }
  const { at: ts, field } = eventTime(e, opts.sentAt, opts.receivedAt)
  const badTime = timeProblem(ts.getTime(), 'happened', opts.receivedAt.getTime())
  if (badTime) problems.push({ path: at(field), message: `timestamp ${badTime}` })
  if (problems.length) return { ok: false, details: problems }

  const ids = [e.userId, e.anonymousId].filter((v): v is string => !!v)
  const traitsIn = e.traits ?? {}
  const email =
    asEmail(traitsIn.email) ?? asEmail(e.userId) ?? asEmail(e.context?.traits?.email) ?? null
  const row: SegmentRow = {
    n: opts.n,
    message_id: e.messageId ?? null,
    email,
    lookup: ids,
    links: [],
    name: null,
    status: null,
    patch: {},
    once: null,
    ts: ts.toISOString(),
    ping: false,
    write: true,
    source: 'segment',
  }
  switch (e.type) {
    case 'identify':
      Object.assign(row, fromTraits(traitsIn), { links: ids })
      row.once = setOnceOf(e.context?.$set_once, traitsIn.$set_once)
      break
    case 'group':
      // The company as one param: a later group call replaces it whole.
      row.patch = { company: { ...traitsIn, id: e.groupId } }
      if (e.userId) row.links = [e.userId]
      break
    case 'alias':
      row.email = asEmail(e.userId) ?? asEmail(e.context?.traits?.email)
      row.lookup = [e.userId!, e.previousId!]
      row.links = [e.userId!, e.previousId!]
      row.write = false
      break
    default:
      row.ping = true
  }
  return { ok: true, row }
}

/**
 * Resolves the emails a request already tells: an identify with an email and a userId lets the
 * request's later events carrying only that userId (or an alias of it) find the same customer
 * without the database. The rest are looked up by the statement (segment_ids).
 */
export function resolveWithinRequest(rows: SegmentRow[]): SegmentRow[] {
  const known = new Map<string, string>()
  return rows.map((row) => {
    let email = row.email
    for (const id of row.lookup) email ??= known.get(id) ?? null
    if (email) for (const id of row.links) known.set(id, email)
    return email === row.email ? row : { ...row, email }
  })
}
