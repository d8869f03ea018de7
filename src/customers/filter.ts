// The ONE filter parser: URL search params (the dashboard's address bar, later `GET /v1/customers`)
// → a typed CustomerFilter. The syntax is documented in the README ("Filtering customers"); every
// mistake becomes one 400 `validation_failed` whose details name the bad parameter and value.
import { decodeBase64Url, encodeBase64Url } from 'hono/utils/encode'
import { z } from 'zod'
import { STATUSES, parseStatus, type Status } from '../lib/status.js'
import { validationError } from '../lib/validation.js'

export const SORT_KEYS = ['last_activity', 'first_seen', 'email', 'name'] as const
export type SortKey = (typeof SORT_KEYS)[number]
export const PARAM_OPS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'exists',
  'missing',
  'between',
] as const
export type ParamOp = (typeof PARAM_OPS)[number]

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200

/** A filter value typed from its spelling: 42 / -1.5 → number, true / false → boolean,
 *  2026-03-23 (optionally with a time) → date, anything else (or "quoted") → string. */
export type ParamValue =
  | { type: 'number'; value: number; raw: string }
  | { type: 'boolean'; value: boolean; raw: string }
  | { type: 'date'; value: string; raw: string }
  | { type: 'string'; value: string; raw: string }

export interface ProjectMatch {
  /** Project slug. */
  project: string
  /** Empty: any status. */
  statuses: Status[]
}

export interface ParamFilter {
  /** A project slug, or null for "any project". */
  project: string | null
  key: string
  op: ParamOp
  values: ParamValue[]
}

export interface TimeFilter {
  at: Date
  /** A project slug, or null for the customer as a whole. */
  project: string | null
}

export interface Cursor {
  sort: string
  value: string | number | null
  id: number
}

export interface CustomerFilter {
  q?: string
  /** Uses every one of these projects (each with one of its statuses, when given). */
  in: ProjectMatch[]
  /** Uses none of these (with one of the statuses, when given). */
  notIn: ProjectMatch[]
  /** Has at least one project with one of these statuses. */
  status: Status[]
  /** Has no project with any of these statuses. */
  notStatus: Status[]
  minProjects?: number
  /** Last activity at or after `at`. */
  activeSince?: TimeFilter
  /** Last activity before `at`. */
  inactiveSince?: TimeFilter
  /** First seen before / at or after. */
  seenBefore?: TimeFilter
  seenAfter?: TimeFilter
  params: ParamFilter[]
  sort: { key: SortKey; dir: 'asc' | 'desc' }
  /** The numeric param to sum over the segment (e.g. mrr), optionally in one project. */
  sum?: { project: string | null; key: string }
  after?: Cursor
  limit: number
}

/** Every query parameter the syntax knows; anything else is refused (a typo must not silently
 *  widen the segment). */
export const FILTER_PARAMS = [
  'q',
  'in',
  'not_in',
  'status',
  'not_status',
  'min_projects',
  'active',
  'inactive',
  'seen_before',
  'seen_after',
  'p',
  'sort',
  'sum',
  'after',
  'limit',
] as const

const SLUG = /^[a-z0-9][a-z0-9-]*$/
const ISO_DATE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const NUMBER = /^-?\d+(\.\d+)?$/
const DAY_MS = 86_400_000

type Ctx = z.RefinementCtx

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER as never
}

function parseStatuses(raw: string, ctx: Ctx): Status[] {
  const status = (name: string) =>
    parseStatus(name) ?? fail(ctx, `unknown status '${name}' (use ${STATUSES.join(', ')})`)
  return [...new Set(raw.split(',').map(status))]
}

function parseSlug(raw: string, ctx: Ctx): string {
  const slug = raw.trim().toLowerCase()
  if (!SLUG.test(slug)) return fail(ctx, `'${raw}' is not a project slug (like app-a)`)
  return slug
}

/** `app-a` or `app-a:paid` or `app-a:free,trial`. */
function parseProjectMatch(raw: string, ctx: Ctx): ProjectMatch {
  const [slug = '', statuses] = splitOnce(raw, ':')
  return {
    project: parseSlug(slug, ctx),
    statuses: statuses === undefined ? [] : parseStatuses(statuses, ctx),
  }
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)]
}

/** `30` (days) or `30@app-a` (days, in one project). */
function parseDays(raw: string, ctx: Ctx, now: Date): TimeFilter {
  const [days = '', project] = splitOnce(raw, '@')
  if (!/^\d{1,5}$/.test(days.trim())) {
    return fail(ctx, `'${raw}' is not a number of days (like 30, or 30@app-a for one project)`)
  }
  return {
    at: new Date(now.getTime() - Number(days) * DAY_MS),
    project: project === undefined ? null : parseSlug(project, ctx),
  }
}

/** `2026-01-01` (a date, UTC), a full ISO time, or `14d` (14 days ago); `@app-a` scopes it. */
function parseMoment(raw: string, ctx: Ctx, now: Date): TimeFilter {
  const [when = '', project] = splitOnce(raw, '@')
  const scope = project === undefined ? null : parseSlug(project, ctx)
  const rel = /^(\d{1,5})d$/.exec(when.trim())
  if (rel) return { at: new Date(now.getTime() - Number(rel[1]) * DAY_MS), project: scope }
  const at = new Date(when.trim())
  // Date rolls 2026-02-31 over to March; a day that does not exist is a typo, not a date.
  const rolledOver =
    !Number.isNaN(at.getTime()) &&
    /^\d{4}-\d{2}-\d{2}$/.test(when.trim()) &&
    at.toISOString().slice(0, 10) !== when.trim()
  if (!ISO_DATE.test(when.trim()) || Number.isNaN(at.getTime()) || rolledOver) {
    return fail(ctx, `'${raw}' is not a date (like 2026-01-01, or 14d for 14 days ago)`)
  }
  return { at, project: scope }
}

export function parseParamValue(raw: string): ParamValue {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    return { type: 'string', value: raw.slice(1, -1), raw }
  }
  if (raw === 'true' || raw === 'false') return { type: 'boolean', value: raw === 'true', raw }
  if (NUMBER.test(raw)) return { type: 'number', value: Number(raw), raw }
  if (ISO_DATE.test(raw)) return { type: 'date', value: raw, raw }
  return { type: 'string', value: raw, raw }
}

/** `[project.]key` — a dot after a slug scopes the key to that project; `*.` is "any project"
 *  (for keys that contain a dot themselves). */
function parseParamKey(raw: string, _ctx: Ctx): { project: string | null; key: string } {
  if (raw.startsWith('*.')) return { project: null, key: raw.slice(2) }
  const [head, rest] = splitOnce(raw, '.')
  if (rest !== undefined && SLUG.test(head)) return { project: head, key: rest }
  return { project: null, key: raw }
}

/** `key:op:value`, `app-a.key:op:value`, `key:exists`, `key:between:low,high`. */
function parseParamFilter(raw: string, ctx: Ctx): ParamFilter {
  const [keyPart = '', afterKey] = splitOnce(raw, ':')
  const [opPart = '', valuePart] =
    afterKey === undefined ? ['', undefined] : splitOnce(afterKey, ':')
  const where = `'${raw}'`
  const { project, key } = parseParamKey(keyPart, ctx)
  if (!key) return fail(ctx, `${where}: missing the param name (like plan:eq:pro)`)
  const op = opPart.toLowerCase() as ParamOp
  if (!PARAM_OPS.includes(op)) {
    return fail(ctx, `${where}: unknown operator '${opPart}' (use ${PARAM_OPS.join(', ')})`)
  }
  if (op === 'exists' || op === 'missing') {
    if (valuePart) return fail(ctx, `${where}: ${op} takes no value`)
    return { project, key, op, values: [] }
  }
  if (valuePart === undefined || valuePart === '') {
    return fail(
      ctx,
      `${where}: ${op} needs a value (like ${key}:${op}:${op === 'between' ? '1,9' : '10'})`,
    )
  }
  if (op === 'between') {
    const parts = valuePart.split(',')
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      return fail(ctx, `${where}: between needs two values, low,high`)
    }
    const values = parts.map(parseParamValue)
    if (values[0]!.type !== values[1]!.type) {
      return fail(
        ctx,
        `${where}: between needs two values of one type (${values[0]!.type} and ${values[1]!.type} given)`,
      )
    }
    if (values[0]!.type === 'boolean')
      return fail(ctx, `${where}: between does not compare booleans`)
    return { project, key, op, values }
  }
  const value = parseParamValue(valuePart)
  if (value.type === 'boolean' && ['gt', 'gte', 'lt', 'lte'].includes(op)) {
    return fail(ctx, `${where}: ${op} does not compare booleans`)
  }
  return { project, key, op, values: [value] }
}

function parseSort(raw: string, ctx: Ctx): CustomerFilter['sort'] {
  const desc = raw.startsWith('-')
  const key = (desc ? raw.slice(1) : raw) as SortKey
  if (!SORT_KEYS.includes(key)) {
    return fail(ctx, `unknown sort '${raw}' (use ${SORT_KEYS.join(', ')}, with - for descending)`)
  }
  return { key, dir: desc ? 'desc' : 'asc' }
}

// Unpadded base64url: a cursor is a URL parameter, and `=` would be escaped there.
const toBase64Url = (s: string) =>
  encodeBase64Url(new TextEncoder().encode(s).buffer).replace(/=+$/, '')
const fromBase64Url = (s: string) => new TextDecoder().decode(decodeBase64Url(s))

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(JSON.stringify([cursor.sort, cursor.value, cursor.id]))
}

function parseCursor(raw: string, ctx: Ctx): Cursor {
  try {
    const [sort, value, id] = JSON.parse(fromBase64Url(raw)) as unknown[]
    if (
      typeof sort === 'string' &&
      (value === null || typeof value === 'string' || typeof value === 'number') &&
      typeof id === 'number' &&
      Number.isSafeInteger(id)
    ) {
      return { sort, value, id }
    }
  } catch {
    // fall through to the one message below
  }
  return fail(ctx, 'not a page cursor from this server (drop after= to start from the first page)')
}

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`)
const one = <T extends z.ZodType>(inner: T) => z.array(inner).max(1, 'give it once').optional()
const many = <T extends z.ZodType>(inner: T) =>
  z.array(inner).max(20, 'at most 20 times').default([])

function schema(now: Date) {
  return z
    .object({
      q: one(text(200)),
      in: many(text(200).transform(parseProjectMatch)),
      not_in: many(text(200).transform(parseProjectMatch)),
      status: many(text(100).transform(parseStatuses)),
      not_status: many(text(100).transform(parseStatuses)),
      min_projects: one(
        z
          .string()
          .regex(/^\d{1,3}$/, 'a whole number, like 2')
          .transform(Number),
      ),
      active: one(text(100).transform((v, ctx) => parseDays(v, ctx, now))),
      inactive: one(text(100).transform((v, ctx) => parseDays(v, ctx, now))),
      seen_before: one(text(100).transform((v, ctx) => parseMoment(v, ctx, now))),
      seen_after: one(text(100).transform((v, ctx) => parseMoment(v, ctx, now))),
      p: many(z.string().max(500, 'at most 500 characters').transform(parseParamFilter)),
      sort: one(text(40).transform(parseSort)),
      sum: one(text(200).transform((v, ctx) => parseParamKey(v, ctx))),
      after: one(text(2000).transform(parseCursor)),
      limit: one(
        z
          .string()
          .regex(/^\d{1,4}$/, 'a whole number')
          .transform(Number)
          .refine((n) => n >= 1 && n <= MAX_LIMIT, `between 1 and ${MAX_LIMIT}`),
      ),
    })
    .strict()
}

/** Reads the filter from URL search params (or a record of them). Empty values count as absent,
 *  so a plain GET form may send every field. Throws ApiError('validation_failed') naming each
 *  bad parameter. `now` anchors relative times (30 days, 14d). */
export function parseCustomerFilter(
  input: URLSearchParams | Record<string, string | string[] | undefined>,
  opts: { now?: Date } = {},
): CustomerFilter {
  // No prototype: a parameter named valueOf or __proto__ is just an unknown filter.
  const grouped: Record<string, string[]> = Object.create(null)
  const entries =
    input instanceof URLSearchParams
      ? [...input.entries()]
      : Object.entries(input).flatMap(([k, v]) =>
          v === undefined ? [] : [v].flat().map((x) => [k, x] as const),
        )
  for (const [k, v] of entries) {
    if (v.trim() === '') continue
    ;(grouped[k] ??= []).push(v)
  }
  const parsed = schema(opts.now ?? new Date()).safeParse(grouped)
  if (!parsed.success) {
    throw validationError(parsed.error, {
      title: 'Invalid filter',
      // A parameter is named as written, without the index of its repetition.
      path: (path) => String(path[0] ?? ''),
      unknownKey: (key) => ({
        path: key,
        message: `unknown filter '${key}' (known: ${FILTER_PARAMS.join(', ')})`,
      }),
    })
  }
  const d = parsed.data
  const params = d.p
  return {
    q: d.q?.[0],
    in: d.in,
    notIn: d.not_in,
    status: [...new Set(d.status.flat())],
    notStatus: [...new Set(d.not_status.flat())],
    minProjects: d.min_projects?.[0],
    activeSince: d.active?.[0],
    inactiveSince: d.inactive?.[0],
    seenBefore: d.seen_before?.[0],
    seenAfter: d.seen_after?.[0],
    params,
    sort: d.sort?.[0] ?? { key: 'last_activity', dir: 'desc' },
    sum: d.sum?.[0],
    after: d.after?.[0],
    limit: d.limit?.[0] ?? DEFAULT_LIMIT,
  }
}

/** The sort as it appears in the URL (`-last_activity`), also the tag a cursor carries. */
export function sortParam(sort: CustomerFilter['sort']): string {
  return `${sort.dir === 'desc' ? '-' : ''}${sort.key}`
}

/** Every project slug the filter names, to check against the account's projects. */
export function filterSlugs(f: CustomerFilter): string[] {
  const slugs = [
    ...f.in.map((m) => m.project),
    ...f.notIn.map((m) => m.project),
    ...f.params.map((p) => p.project),
    f.activeSince?.project,
    f.inactiveSince?.project,
    f.seenBefore?.project,
    f.seenAfter?.project,
    f.sum?.project,
  ]
  return [...new Set(slugs.filter((s): s is string => typeof s === 'string'))]
}
