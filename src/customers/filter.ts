// The ONE filter parser: URL search params (the dashboard's address bar, `GET /v1/customers`, the
// CSV exports) → a typed CustomerFilter. The language is docs/filter-language.md; its words are
// ./filter-syntax.ts, how each value reads ./filter-values.ts. Every mistake becomes one 400
// `validation_failed` whose details name the bad parameter and value.
import * as z from 'zod'
import { ApiError } from '../lib/errors.js'
import { validationError } from '../lib/validation.js'
import {
  DEFAULT_LIMIT,
  DEFAULT_SORT,
  FILTER_PARAMS,
  MAX_LIMIT,
  type CustomerFilter,
} from './filter-syntax.js'
import {
  parseCursor,
  parseDays,
  parseMoment,
  parseParamFilter,
  parseParamKey,
  parseProjectMatch,
  parseSort,
  parseStatuses,
} from './filter-values.js'
import { parseChanged } from './filter-changed.js'

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
      changed: many(text(300).transform((v, ctx) => parseChanged(v, ctx, now))),
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
    sort: d.sort?.[0] ?? DEFAULT_SORT,
    sum: d.sum?.[0],
    after: d.after?.[0],
    limit: d.limit?.[0] ?? DEFAULT_LIMIT,
    ...(d.changed.length ? { changed: d.changed } : {}),
  }
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
