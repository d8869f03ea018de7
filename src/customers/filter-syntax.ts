// The filter language's vocabulary: every query parameter, sort key and param operator it knows,
// and the typed filter a URL becomes. The parser (./filter.ts) and the views that label its parts
// are both keyed by these lists, so neither can know a word the other does not. The language is
// described in docs/filter-language.md.
import type { Status } from '../lib/status.js'
import type { ChangedFilter } from './filter-changed.js'

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

/** Newest activity first, unless `sort=` says otherwise. */
export const DEFAULT_SORT: CustomerFilter['sort'] = { key: 'last_activity', dir: 'desc' }

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200
/** The longest `q=` read; the table's search box takes no more (a longer paste would be an error). */
export const MAX_SEARCH = 200

/** A filter value typed from its spelling: 42 / -1.5 → number, true / false → boolean,
 *  2026-03-23 (optionally with a time) or +7d / -7d / +0d (days from today) → date, anything else
 *  (or "quoted") → string. A date from today carries `daysFromToday`; the parser sets its value
 *  to that day (`2026-11-30`). */
export type ParamValue =
  | { type: 'number'; value: number; raw: string }
  | { type: 'boolean'; value: boolean; raw: string }
  | { type: 'date'; value: string; raw: string; daysFromToday?: number }
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
  /** Per entry: has at least one project with one of its statuses (entries combine with AND). */
  status: Status[][]
  /** Per entry: has no project with any of its statuses. */
  notStatus: Status[][]
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
  /** The page after this cursor (next), or the page before it (previous): at most one. */
  after?: Cursor
  before?: Cursor
  limit: number
  /** Whose status became one of some statuses since a time (./filter-changed.ts). */
  changed?: ChangedFilter[]
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
  'before',
  'limit',
  'changed',
] as const

export type FilterParam = (typeof FILTER_PARAMS)[number]

/** The sort as it appears in the URL (`-last_activity`), also the tag a cursor carries. */
export function sortParam(sort: CustomerFilter['sort']): string {
  return `${sort.dir === 'desc' ? '-' : ''}${sort.key}`
}

/** The query as a URL says it: empty values dropped (a plain GET form sends every field) and the
 *  default sort left out. */
export function canonicalQuery(query: URLSearchParams): URLSearchParams {
  const clean = new URLSearchParams()
  for (const [k, v] of query) {
    if (v.trim() === '' || (k === 'sort' && v === sortParam(DEFAULT_SORT))) continue
    clean.append(k, v)
  }
  return clean
}

/** A query string people can read: `in=app-a:paid,trial` rather than `in=app-a%3Apaid%2Ctrial`.
 *  Only `:`, `,` and `@` stay as they are (they mean nothing special in a query); a + is %2B. A
 *  `'` is %27, as a URL's parser writes it in the query: the page compares its own URL with this
 *  one to redirect to the short form, and `q=O'Brien` redirected to itself forever. */
export function queryString(query: URLSearchParams): string {
  const enc = (s: string) =>
    encodeURIComponent(s)
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%40/g, '@')
      .replace(/'/g, '%27')
  return [...query].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')
}
