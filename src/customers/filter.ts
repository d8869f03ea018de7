// The ONE filter parser: URL search params (the dashboard's address bar, `GET /v1/customers`, the
// CSV exports, saved views) → a typed CustomerFilter. The language is docs/filter-language.md; its
// words are ./filter-syntax.ts, how each value reads ./filter-values.ts (shared with the filter
// builder). Every mistake becomes one 400 `validation_failed` whose details name the bad parameter
// and value.
import * as z from 'zod'
import { ApiError } from '../lib/errors.js'
import { validationError } from '../lib/validation.js'
import {
  DEFAULT_LIMIT,
  DEFAULT_SORT,
  FILTER_PARAMS,
  MAX_LIMIT,
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

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`)
const one = <T extends z.ZodType>(inner: T) => z.array(inner).max(1, 'give it once').optional()
const many = <T extends z.ZodType>(inner: T) =>
  z.array(inner).max(20, 'at most 20 times').default([])

/** A reader of ./filter-values.ts as a zod transform: its `fail` becomes an issue. */
const read =
  <T>(reader: (raw: string, fail: Fail) => T) =>
  (raw: string, ctx: z.RefinementCtx): T =>
    reader(raw, (message) => {
      ctx.addIssue({ code: 'custom', message })
      return z.NEVER as never
    })

function schema() {
  return z
    .object({
      q: one(text(200)),
      in: many(text(200).transform(read(readProjectMatch))),
      not_in: many(text(200).transform(read(readProjectMatch))),
      status: many(text(100).transform(read(readStatuses))),
      not_status: many(text(100).transform(read(readStatuses))),
      min_projects: one(z.string().transform(read(readMinProjects))),
      active: one(text(100).transform(read(readDays))),
      inactive: one(text(100).transform(read(readDays))),
      seen_before: one(text(100).transform(read(readMoment))),
      seen_after: one(text(100).transform(read(readMoment))),
      p: many(z.string().max(500, 'at most 500 characters').transform(read(readParamFilter))),
      sort: one(text(40).transform(read(readSort))),
      sum: one(text(200).transform((v) => readParamKey(v))),
      after: one(text(2000).transform(read(readCursor))),
      before: one(text(2000).transform(read(readCursor))),
      limit: one(
        z
          .string()
          .regex(/^\d{1,4}$/, 'a whole number')
          .transform(Number)
          .refine((n) => n >= 1 && n <= MAX_LIMIT, `between 1 and ${MAX_LIMIT}`),
      ),
      changed: many(text(300).transform(read(readChanged))),
    })
    .strict()
    .refine((d) => !(d.after && d.before), {
      message: 'give after or before, not both',
      path: ['before'],
    })
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
