// What the ingest endpoints accept (a zod failure becomes a 400 naming the field: lib/validation.ts).
import * as z from 'zod/mini'
import { emailSchema as email } from '../lib/email.js'
import { STATUSES, STATUS_ALIASES, parseStatus } from '../lib/status.js'
import { hasLoneSurrogate, LONE_SURROGATE_PROBLEM } from '../lib/text.js'
import { FUTURE_SKEW_MS, timeProblem } from '../lib/time.js'

export const LIMITS = {
  /** Bytes, as Segment's: one identify or ping call. */
  singleBody: 32 * 1024,
  /** Bytes, one /v1/batch call. */
  batchBody: 500 * 1024,
  batchItems: 5000,
  /** How far in the future a `timestamp` may be (clock skew), in ms. */
  futureSkewMs: FUTURE_SKEW_MS,
} as const

const STATUS_HELP = `${STATUSES.join(', ')} (aliases: ${STATUS_ALIASES.join(', ')})`

const status = z.pipe(
  z.string({ error: `status must be one of ${STATUS_HELP}` }),
  z.transform((s: string, ctx) => {
    const canonical = parseStatus(s)
    if (!canonical) {
      ctx.issues.push({ code: 'custom', message: `status must be one of ${STATUS_HELP}`, input: s })
      return z.NEVER
    }
    return canonical
  }),
)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** How deep a JSON value sent to be stored may nest (params; Segment's traits, properties and
 *  context): deeper is a sender's bug or an attack, and JSON.stringify overflows the stack at
 *  a few thousand levels. */
export const MAX_NESTING = 32
export const NESTING_PROBLEM = `nested more than ${MAX_NESTING} levels deep`

/** Whether `value` nests deeper than MAX_NESTING; walks no deeper than that, so it is safe on any
 *  value JSON.parse returned. */
export function nestedTooDeep(value: unknown, depth = 0): boolean {
  if (depth > MAX_NESTING) return true
  if (typeof value !== 'object' || value === null) return false
  return Object.values(value).some((v) => nestedTooDeep(v, depth + 1))
}

/** What Postgres cannot store in a string or a key of `value` (a NUL character, half of a
 *  surrogate pair), or a number past a 64-bit float's range (`1e400`): JSON.parse reads it as
 *  Infinity, which JSON.stringify writes as null, so it would be stored as null, or remove its
 *  key when it is a top-level param. */
function paramValueProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return 'params contain a number too large for a 64-bit float (send it as a string)'
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'params contain a NUL character (\\u0000)'
    return hasLoneSurrogate(value) ? `a params value ${LONE_SURROGATE_PROBLEM}` : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return 'a params key contains a NUL character (\\u0000)'
    if (hasLoneSurrogate(k)) return `a params key ${LONE_SURROGATE_PROBLEM}`
    const problem = paramValueProblem(v)
    if (problem) return problem
  }
  return undefined
}

/** What Postgres' jsonb cannot store, or should not: NUL characters, halves of surrogate pairs,
 *  numbers JSON.parse could only read as Infinity, and absurd nesting. */
function paramsProblem(value: unknown): string | undefined {
  if (nestedTooDeep(value)) return `params are ${NESTING_PROBLEM}`
  // A key without a name could be neither shown nor filtered on (p=key:…).
  if (Object.hasOwn(value as object, '')) return 'a params key is empty: every param needs a name'
  return paramValueProblem(value)
}

// Kept as the very object JSON.parse made (no copy), so keys like "__proto__" stay plain data.
export const params = z
  .custom<Record<string, unknown>>(isPlainObject, {
    error: 'params must be an object of key/value pairs',
  })
  .check(
    z.superRefine((value, ctx) => {
      const problem = paramsProblem(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    }),
  )

const timestamp = z
  .pipe(
    z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error:
        'timestamp must be an ISO 8601 date-time with its UTC offset (2026-03-29T12:00:00Z, …+02:00) or a date (2026-03-29)',
    }),
    z.transform((s: string) => new Date(s)),
  )
  .check(
    z.superRefine((d, ctx) => {
      const problem = timeProblem(d.getTime(), 'happened')
      if (problem) ctx.addIssue({ code: 'custom', message: `timestamp ${problem}` })
    }),
  )

/** The longest name a customer may be given (identify; a billing provider's longer one is left
 *  out: ../billing/events.ts). */
export const MAX_NAME_LENGTH = 500

export const identifyBody = z.strictObject({
  email,
  name: z.nullish(
    z.string({ error: 'name must be a string' }).check(
      z.maxLength(MAX_NAME_LENGTH, `name is too long (at most ${MAX_NAME_LENGTH} characters)`),
      z.refine((s) => !s.includes('\u0000'), 'name contains a NUL character'),
      z.refine((s) => !hasLoneSurrogate(s), `name ${LONE_SURROGATE_PROBLEM}`),
    ),
  ),
  status: z.nullish(status),
  params: z.nullish(params),
  /** Set-once params: each key is set only where this project's params lack it (first touch). */
  paramsOnce: z.nullish(params),
  timestamp: z.nullish(timestamp),
})

export const pingBody = z.strictObject({
  email,
  timestamp: z.nullish(timestamp),
})

export const batchItem = z.discriminatedUnion(
  'type',
  [
    z.extend(identifyBody, { type: z.literal('identify') }),
    z.extend(pingBody, { type: z.literal('ping') }),
  ],
  {
    // An item that is no object at all has no type to be wrong: say what it must be.
    error: (issue) =>
      isPlainObject(issue.input)
        ? "type must be 'identify' or 'ping'"
        : "must be an object: an identify or a ping, with its type ('identify' or 'ping')",
  },
)

export const batchBody = z.strictObject({
  batch: z
    .array(z.unknown(), { error: 'batch must be an array of items' })
    .check(
      z.minLength(1, 'batch must hold at least one item'),
      z.maxLength(LIMITS.batchItems, `batch holds at most ${LIMITS.batchItems} items`),
    ),
})

export type IdentifyInput = z.output<typeof identifyBody>
export type PingInput = z.output<typeof pingBody>
export type BatchItem = z.output<typeof batchItem>
