// How each filter parameter's value reads (`app-a:paid`, `30@app-a`, `14d`, `plan:gte:10`, a page
// cursor …), as it is spelled: free of zod and of the clock, so the parser (./filter.ts) and the
// filter builder (./filter-chips.ts, also bundled for the browser) read a URL the same way. Each
// reader calls `fail` with what is wrong and how it should look; the parser turns that into a zod
// issue, the builder into a condition it shows as typed.
import { decodeBase64Url, encodeBase64Url } from 'hono/utils/encode'
import { STATUSES, parseStatus, type Status } from '../lib/status.js'
import {
  PARAM_OPS,
  SORT_KEYS,
  type Cursor,
  type CustomerFilter,
  type ParamFilter,
  type ParamOp,
  type ParamValue,
  type ProjectMatch,
  type SortKey,
} from './filter-syntax.js'

/** Reports what is wrong with a value; never returns normally to the reader. */
export type Fail = (message: string) => never

export const SLUG = /^[a-z0-9][a-z0-9-]*$/
const ISO_DATE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const NUMBER = /^-?\d+(\.\d+)?$/
// `+7d` typed in an address bar arrives as ` 7d` (a + in a query string is a space).
const RELATIVE_DAY = /^([+ -])(\d{1,5})d$/
export const DAY_MS = 86_400_000

export function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)]
}

/** `paid` or `free,trialing` (aliases read as their status), without repeats. */
export function readStatuses(raw: string, fail: Fail): Status[] {
  const status = (name: string) =>
    parseStatus(name) ?? fail(`unknown status '${name}' (use ${STATUSES.join(', ')})`)
  return [...new Set(raw.split(',').map(status))]
}

export function readSlug(raw: string, fail: Fail): string {
  const slug = raw.trim().toLowerCase()
  if (!SLUG.test(slug)) return fail(`'${raw}' is not a project slug (like app-a)`)
  return slug
}

/** `app-a` or `app-a:paid` or `app-a:free,trial`. */
export function readProjectMatch(raw: string, fail: Fail): ProjectMatch {
  const [slug = '', statuses] = splitOnce(raw, ':')
  return {
    project: readSlug(slug, fail),
    statuses: statuses === undefined ? [] : readStatuses(statuses, fail),
  }
}

/** `2`: a number of projects, up to 3 digits. */
export function readMinProjects(raw: string, fail: Fail): number {
  return /^\d{1,3}$/.test(raw) ? Number(raw) : fail('a whole number, like 2')
}

/** A number of days, overall or in one project: `30` or `30@app-a`. */
export interface DaysSpec {
  days: number
  project: string | null
}

export function readDays(raw: string, fail: Fail): DaysSpec {
  const [days = '', project] = splitOnce(raw, '@')
  if (!/^\d{1,5}$/.test(days.trim())) {
    return fail(`'${raw}' is not a number of days (like 30, or 30@app-a for one project)`)
  }
  return { days: Number(days), project: project === undefined ? null : readSlug(project, fail) }
}

/** A moment as written: some days ago (`14d`) or an ISO date or time (`2026-01-01`). */
export type Moment = { daysAgo: number } | { iso: string }

export interface MomentSpec {
  when: Moment
  project: string | null
}

/** `2026-01-01` (a date, UTC), a full ISO time, or `14d` (14 days ago); `@app-a` scopes it. */
export function readMoment(raw: string, fail: Fail): MomentSpec {
  const [whenRaw = '', project] = splitOnce(raw, '@')
  const scope = project === undefined ? null : readSlug(project, fail)
  const when = whenRaw.trim()
  const rel = /^(\d{1,5})d$/.exec(when)
  if (rel) return { when: { daysAgo: Number(rel[1]) }, project: scope }
  const at = new Date(when)
  // Date rolls 2026-02-31 over to March; a day that does not exist is a typo, not a date.
  const rolledOver =
    !Number.isNaN(at.getTime()) &&
    /^\d{4}-\d{2}-\d{2}$/.test(when) &&
    at.toISOString().slice(0, 10) !== when
  if (!ISO_DATE.test(when) || Number.isNaN(at.getTime()) || rolledOver) {
    return fail(`'${raw}' is not a date (like 2026-01-01, or 14d for 14 days ago)`)
  }
  return { when: { iso: when }, project: scope }
}

/** The instant a moment stands for, `now` anchoring days ago. */
export function momentDate(when: Moment, now: Date): Date {
  return 'daysAgo' in when ? daysBefore(now, when.daysAgo) : new Date(when.iso)
}

export const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS)

export function parseParamValue(raw: string): ParamValue {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    return { type: 'string', value: raw.slice(1, -1), raw }
  }
  if (raw === 'true' || raw === 'false') return { type: 'boolean', value: raw === 'true', raw }
  if (NUMBER.test(raw)) return { type: 'number', value: Number(raw), raw }
  if (ISO_DATE.test(raw)) return { type: 'date', value: raw, raw }
  const relative = RELATIVE_DAY.exec(raw)
  if (relative) {
    const days = Number(relative[2]) * (relative[1] === '-' ? -1 : 1)
    return { type: 'date', value: raw, raw, daysFromToday: days }
  }
  return { type: 'string', value: raw, raw }
}

/** The day a value like `+7d` stands for, `now` being today: `2026-11-30` (UTC). */
export function resolveParamValue(v: ParamValue, now: Date): ParamValue {
  if (v.type !== 'date' || v.daysFromToday === undefined) return v
  return { ...v, value: daysBefore(now, -v.daysFromToday).toISOString().slice(0, 10) }
}

/** `[project.]key` — a dot after a slug scopes the key to that project; `*.` is "any project"
 *  (for keys that contain a dot themselves). */
export function readParamKey(raw: string): { project: string | null; key: string } {
  if (raw.startsWith('*.')) return { project: null, key: raw.slice(2) }
  const [head, rest] = splitOnce(raw, '.')
  if (rest !== undefined && SLUG.test(head)) return { project: head, key: rest }
  return { project: null, key: raw }
}

/** The key part and the rest: the key ends at the first `:` followed by an operator, so a key may
 *  hold colons itself (`ns:key:eq:v`); with no operator anywhere, at the first `:` (and the
 *  caller says what it read as the operator). */
function splitParamKey(raw: string): [string, string | undefined] {
  for (let at = raw.indexOf(':'); at !== -1; at = raw.indexOf(':', at + 1)) {
    const end = raw.indexOf(':', at + 1)
    const op = raw.slice(at + 1, end === -1 ? undefined : end).toLowerCase()
    if ((PARAM_OPS as readonly string[]).includes(op)) return [raw.slice(0, at), raw.slice(at + 1)]
  }
  return splitOnce(raw, ':')
}

const TOO_LARGE = 'the number is too large (past a 64-bit float)'
const isHugeNumber = (v: ParamValue) => v.type === 'number' && !Number.isFinite(v.value)

/** `key:op:value`, `app-a.key:op:value`, `key:exists`, `key:between:low,high`. */
export function readParamFilter(raw: string, fail: Fail): ParamFilter {
  const [keyPart = '', afterKey] = splitParamKey(raw)
  const [opPart = '', valuePart] =
    afterKey === undefined ? ['', undefined] : splitOnce(afterKey, ':')
  const where = `'${raw}'`
  const { project, key } = readParamKey(keyPart)
  if (!key) return fail(`${where}: missing the param name (like plan:eq:pro)`)
  const op = opPart.toLowerCase() as ParamOp
  // A key typed alone (`p=plan`): said as what is missing, not as an operator named ''.
  if (!opPart) {
    return fail(
      `${where}: missing the operator (like ${key}:eq:value or ${key}:exists; use ${PARAM_OPS.join(', ')})`,
    )
  }
  if (!PARAM_OPS.includes(op)) {
    return fail(`${where}: unknown operator '${opPart}' (use ${PARAM_OPS.join(', ')})`)
  }
  if (op === 'exists' || op === 'missing') {
    if (valuePart) return fail(`${where}: ${op} takes no value`)
    return { project, key, op, values: [] }
  }
  if (valuePart === undefined || valuePart === '') {
    return fail(
      `${where}: ${op} needs a value (like ${key}:${op}:${op === 'between' ? '1,9' : '10'})`,
    )
  }
  if (op === 'between') {
    const parts = valuePart.split(',')
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      return fail(`${where}: between needs two values, low,high`)
    }
    const values = parts.map(parseParamValue)
    if (values[0]!.type !== values[1]!.type) {
      return fail(
        `${where}: between needs two values of one type (${values[0]!.type} and ${values[1]!.type} given)`,
      )
    }
    if (values[0]!.type === 'boolean') return fail(`${where}: between does not compare booleans`)
    if (values.some(isHugeNumber)) return fail(`${where}: ${TOO_LARGE}`)
    return { project, key, op, values }
  }
  const value = parseParamValue(valuePart)
  // Past a 64-bit float it reads as Infinity, which the SQL would get as JSON null (below every
  // number): gt would match every number. No stored param can be that large (ingest refuses it).
  if (isHugeNumber(value)) return fail(`${where}: ${TOO_LARGE}`)
  if (value.type === 'boolean' && ['gt', 'gte', 'lt', 'lte'].includes(op)) {
    return fail(`${where}: ${op} does not compare booleans`)
  }
  return { project, key, op, values: [value] }
}

export function readSort(raw: string, fail: Fail): CustomerFilter['sort'] {
  const desc = raw.startsWith('-')
  const key = (desc ? raw.slice(1) : raw) as SortKey
  if (!SORT_KEYS.includes(key)) {
    return fail(`unknown sort '${raw}' (use ${SORT_KEYS.join(', ')}, with - for descending)`)
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

// A time as the database writes one (`2026-12-01 02:35:02.551+00`, `…+05:30`) or as ISO 8601
// (`…T…Z`): Date.parse alone also reads `2026-01-01 junk` and `2026-02-30 00:00:00`, which the
// database refuses to read as a time.
const CURSOR_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?\d{2}){0,2})$/

function isCursorTime(value: string): boolean {
  const m = CURSOR_TIME.exec(value)
  if (!m) return false
  const [year, month, day, hour, minute, second, offset] = m.slice(1).map(Number)
  const date = new Date(Date.UTC(year!, month! - 1, day!))
  return (
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    !(offset! > 15)
  )
}

/** A cursor's value the database will read: for a sort by time a time it reads as one (never a
 *  number), for the others a text without NUL or a number (a cursor edited by hand must be refused
 *  here, naming `after` or `before`, not by the database). */
function cursorValue(sort: string, value: unknown): value is string | number {
  if (/^-?(last_activity|first_seen)$/.test(sort)) {
    return typeof value === 'string' && isCursorTime(value)
  }
  return typeof value === 'number' || (typeof value === 'string' && !value.includes('\u0000'))
}

export function readCursor(raw: string, fail: Fail): Cursor {
  try {
    const [sort, value, id] = JSON.parse(fromBase64Url(raw)) as unknown[]
    if (
      typeof sort === 'string' &&
      (value === null || cursorValue(sort, value)) &&
      typeof id === 'number' &&
      Number.isSafeInteger(id)
    ) {
      return { sort, value, id }
    }
  } catch {
    // fall through to the one message below
  }
  return fail('not a page cursor from this server (drop it to start from the first page)')
}

/** `changed=` as spelled, before `now` resolves its time (what the filter builder shows). */
export interface ChangedSpec {
  statuses: Status[]
  project: string | null
  when: Moment
}

// The statuses and the time may be empty here, so that their own readers say what is missing.
const SHAPE = /^status:([^@:]*)(?:@([^:]*))?:(.*)$/

/** `status:<statuses>[@<project>]:<when>`; `when` as seen_after takes it (`7d`, `2026-11-23`). */
export function readChanged(raw: string, fail: Fail): ChangedSpec {
  const m = SHAPE.exec(raw.trim())
  const project = m?.[2]?.trim().toLowerCase()
  if (!m || (project !== undefined && !SLUG.test(project))) {
    return fail(
      `'${raw}' is not a change (like status:paid@app-a:7d, or status:churned:2026-11-23)`,
    )
  }
  const statuses = readStatuses(m[1]!, fail)
  const moment = readMoment(m[3]!, fail)
  // seen_after's `7d@app-a` reads here too, but its project would be dropped unseen: refused.
  // (A time refused already has said why: `fail` may go on with a placeholder, which has no
  // `when`, and nothing more is said of it.)
  if (moment.when !== undefined && moment.project !== null) {
    return fail(`'${raw}': the project goes before the time (like status:paid@app-a:7d)`)
  }
  return { statuses, project: project ?? null, when: moment.when }
}
