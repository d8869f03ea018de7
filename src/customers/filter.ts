// The ONE filter parser: URL search params (the dashboard's address bar, `GET /v1/customers`, the
// CSV exports, saved views) → a typed CustomerFilter. The language is docs/filter-language.md; its
// words are ./filter-syntax.ts, how each value reads ./filter-values.ts (shared with the filter
// builder). Every mistake becomes one 400 `validation_failed` whose details name the bad parameter
// and value.
import * as z from 'zod/mini'
import { ApiError } from '../lib/errors.js'
import { validationError } from '../lib/validation.js'
import {
  DEFAULT_LIMIT,
  DEFAULT_SORT,
  FILTER_PARAMS,
  MAX_LIMIT,
  MAX_SEARCH,
  type CustomerFilter,
  type TimeFilter,
} from './filter-syntax.js'
import {
  daysBefore,
  momentDate,
  readCursor,
  readDays,
  readMinProjects,
  readMoment,
  readParamFilter,
  readParamKey,
  readProjectMatch,
  readSort,
  readStatuses,
  resolveParamValue,
  type DaysSpec,
  type Fail,
  type MomentSpec,
} from './filter-values.js'
import { readChanged } from './filter-changed.js'

const text = (max: number) =>
  z.string().check(z.trim(), z.maxLength(max, `at most ${max} characters`))
const one = <T extends z.ZodMiniType>(inner: T) =>
  z.optional(z.array(inner).check(z.maxLength(1, 'give it once')))
const many = <T extends z.ZodMiniType>(inner: T) =>
  z._default(z.array(inner).check(z.maxLength(20, 'at most 20 times')), [])

/** A reader of ./filter-values.ts after a string schema, as a zod transform: its `fail` becomes
 *  an issue. */
const read = <T>(string: z.ZodMiniString, reader: (raw: string, fail: Fail) => T) =>
  z.pipe(
    string,
    z.transform((raw: string, ctx): T =>
      reader(raw, (message) => {
        ctx.issues.push({ code: 'custom', message, input: raw })
        return z.NEVER as never
      }),
    ),
  )

function schema() {
  return z
    .strictObject({
      q: one(text(MAX_SEARCH)),
      in: many(read(text(200), readProjectMatch)),
      not_in: many(read(text(200), readProjectMatch)),
      status: many(read(text(100), readStatuses)),
      not_status: many(read(text(100), readStatuses)),
      min_projects: one(read(z.string(), readMinProjects)),
      active: one(read(text(100), readDays)),
      inactive: one(read(text(100), readDays)),
      seen_before: one(read(text(100), readMoment)),
      seen_after: one(read(text(100), readMoment)),
      p: many(read(z.string().check(z.maxLength(500, 'at most 500 characters')), readParamFilter)),
      sort: one(read(text(40), readSort)),
      sum: one(
        z.pipe(
          text(200),
          z.transform((v: string) => readParamKey(v)),
        ),
      ),
      after: one(read(text(2000), readCursor)),
      before: one(read(text(2000), readCursor)),
      limit: one(
        z
          .pipe(z.string().check(z.regex(/^\d{1,4}$/, 'a whole number')), z.transform(Number))
          .check(z.refine((n) => n >= 1 && n <= MAX_LIMIT, `between 1 and ${MAX_LIMIT}`)),
      ),
      changed: many(read(text(300), readChanged)),
    })
    .check(
      z.refine((d) => !(d.after && d.before), {
        message: 'give after or before, not both',
        path: ['before'],
      }),
    )
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
    // No text in Postgres holds a NUL: said here, naming the parameter, not by the database.
    if (v.includes('\u0000')) {
      const message = `${k}: contains a NUL character`
      throw new ApiError('validation_failed', `Invalid filter: ${message}`, [{ path: k, message }])
    }
    ;(grouped[k] ??= []).push(v)
  }
  const parsed = schema().safeParse(grouped)
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
  const now = opts.now ?? new Date()
  const daysAgo = (spec: DaysSpec | undefined): TimeFilter | undefined =>
    spec && { at: daysBefore(now, spec.days), project: spec.project }
  const moment = (spec: MomentSpec | undefined): TimeFilter | undefined =>
    spec && { at: momentDate(spec.when, now), project: spec.project }
  return {
    q: d.q?.[0],
    in: d.in,
    notIn: d.not_in,
    status: d.status,
    notStatus: d.not_status,
    minProjects: d.min_projects?.[0],
    activeSince: daysAgo(d.active?.[0]),
    inactiveSince: daysAgo(d.inactive?.[0]),
    seenBefore: moment(d.seen_before?.[0]),
    seenAfter: moment(d.seen_after?.[0]),
    params: d.p.map((p) => ({ ...p, values: p.values.map((v) => resolveParamValue(v, now)) })),
    sort: d.sort?.[0] ?? DEFAULT_SORT,
    sum: d.sum?.[0],
    after: d.after?.[0],
    before: d.before?.[0],
    limit: d.limit?.[0] ?? DEFAULT_LIMIT,
    ...(d.changed.length
      ? {
          changed: d.changed.map((c) => ({
            statuses: c.statuses,
            project: c.project,
            since: momentDate(c.when, now),
          })),
        }
      : {}),
  }
}

/** Every project slug the filter names, once each, in the order written (the summary's
 *  per-project status breakdown). */
export function filterSlugs(f: CustomerFilter): string[] {
  return [...new Set(namedProjects(f).map((n) => n.slug))]
}

/** The projects of the summary's per-project status breakdown: every project the filter names
 *  but those `not_in=` excludes whole (no status given), whose counts could only be zeros. */
export function breakdownSlugs(f: CustomerFilter): string[] {
  const excluded = new Set(f.notIn.filter((m) => m.statuses.length === 0).map((m) => m.project))
  return filterSlugs(f).filter((slug) => !excluded.has(slug))
}

/** Every project slug the filter names, with the URL parameter that names it. */
function namedProjects(f: CustomerFilter): { param: string; slug: string }[] {
  const named: [string, string | null | undefined][] = [
    ...f.in.map((m): [string, string] => ['in', m.project]),
    ...f.notIn.map((m): [string, string] => ['not_in', m.project]),
    ...f.params.map((p): [string, string | null] => ['p', p.project]),
    ['active', f.activeSince?.project],
    ['inactive', f.inactiveSince?.project],
    ['seen_before', f.seenBefore?.project],
    ['seen_after', f.seenAfter?.project],
    ['sum', f.sum?.project],
    ...(f.changed ?? []).map((c): [string, string | null] => ['changed', c.project]),
  ]
  return named.flatMap(([param, slug]) => (typeof slug === 'string' ? [{ param, slug }] : []))
}

/**
 * The check every reader of a filter makes once it knows the account's projects (the customers
 * page, `GET /v1/customers`, both CSV exports): a slug the account does not have is a 400 naming
 * the parameter, never a filter that silently matches everyone (`not_in=app-x`) or no one.
 */
export function checkFilterProjects(filter: CustomerFilter, accountSlugs: readonly string[]) {
  const known = new Set(accountSlugs)
  const unknown = namedProjects(filter).filter((n) => !known.has(n.slug))
  if (unknown.length === 0) return
  const slugs = [...new Set(unknown.map((n) => n.slug))]
  const yours = accountSlugs.join(', ') || 'none yet'
  // `p=utm.source:…` reads as project "utm"; say how to name a param that has a dot.
  const dotted = unknown.some((n) => n.param === 'p')
  throw new ApiError(
    'validation_failed',
    `No project ${slugs.map((s) => `'${s}'`).join(', ')} in your account (your projects: ${yours}).` +
      (dotted ? ' For a param whose name has a dot, start it with *. (like *.utm.source).' : ''),
    unknown.map((n) => ({ path: n.param, message: `no project '${n.slug}' in your account` })),
  )
}
