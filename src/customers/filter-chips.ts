// The filter as the builder shows it: one chip per condition of the URL, read with the parser's own
// readers (./filter-values.ts), written back to the URL syntax, and said in plain words ("App A is
// paid", "Inactive 30+ days": ./filter-words.ts). The customers page renders its chips from here,
// and the browser bundle (views/customers/browser/) edits them with the same functions, so whatever
// the parser accepts the builder shows, and writes back without loss (filter-chips.test.ts checks
// it against the parser). A new filter kind is one entry in READERS, one case in writeChip and one
// in describeChip (./filter-words.ts).
import type { Status } from '../lib/status.js'
import type { FilterParam, ParamOp } from './filter-syntax.js'
import {
  parseParamValue,
  readChanged,
  readDays,
  readMinProjects,
  readMoment,
  readParamFilter,
  readParamKey,
  readProjectMatch,
  readStatuses,
  type ChangedSpec,
  type Fail,
  type Moment,
} from './filter-values.js'

/** The parameters that are not conditions: the search box, the sort, the page and its size. */
export const VIEW_PARAMS = ['q', 'sort', 'after', 'before', 'limit'] as const
/** Every parameter a chip stands for. */
export type ChipParam = Exclude<FilterParam, (typeof VIEW_PARAMS)[number]>

export type ValueType = 'number' | 'boolean' | 'date' | 'string'
/** A param value as the builder edits it: its type and its text (a string without its quotes). */
export interface ChipValue {
  type: ValueType
  text: string
}

export type Chip =
  /** in= / not_in= */
  | { kind: 'project'; negate: boolean; project: string; statuses: Status[] }
  /** status= / not_status= */
  | { kind: 'status'; negate: boolean; statuses: Status[] }
  /** min_projects= */
  | { kind: 'products'; min: number }
  /** active= / inactive= */
  | { kind: 'activity'; inactive: boolean; days: number; project: string | null }
  /** seen_before= / seen_after= */
  | { kind: 'seen'; before: boolean; when: Moment; project: string | null }
  /** p= */
  | { kind: 'param'; project: string | null; key: string; op: ParamOp; values: ChipValue[] }
  /** sum= */
  | { kind: 'sum'; project: string | null; key: string }
  /** changed= (./filter-changed.ts): whose status became one of some statuses since a time. */
  | ({ kind: 'changed' } & ChangedSpec)
  /** Anything the parser refuses, shown and written back as typed, with the reason. */
  | { kind: 'unread'; name: string; value: string; problem: string }

type Reader = (raw: string, fail: Fail) => Chip

// Trimmed where the parser trims (its `text()` fields); `p` and `min_projects` are read as sent.
const READERS: Record<ChipParam, Reader> = {
  in: (raw, fail) => ({ kind: 'project', negate: false, ...readProjectMatch(raw.trim(), fail) }),
  not_in: (raw, fail) => ({ kind: 'project', negate: true, ...readProjectMatch(raw.trim(), fail) }),
  status: (raw, fail) => ({
    kind: 'status',
    negate: false,
    statuses: readStatuses(raw.trim(), fail),
  }),
  not_status: (raw, fail) => ({
    kind: 'status',
    negate: true,
    statuses: readStatuses(raw.trim(), fail),
  }),
  min_projects: (raw, fail) => ({ kind: 'products', min: readMinProjects(raw, fail) }),
  active: (raw, fail) => ({ kind: 'activity', inactive: false, ...readDays(raw.trim(), fail) }),
  inactive: (raw, fail) => ({ kind: 'activity', inactive: true, ...readDays(raw.trim(), fail) }),
  seen_before: (raw, fail) => ({ kind: 'seen', before: true, ...readMoment(raw.trim(), fail) }),
  seen_after: (raw, fail) => ({ kind: 'seen', before: false, ...readMoment(raw.trim(), fail) }),
  p: (raw, fail) => {
    const f = readParamFilter(raw, fail)
    const values = f.values.map((v) => ({
      type: v.type,
      // `+7d` may arrive as ` 7d` (a + in a query string is a space): written back with its +.
      text: v.type === 'string' ? v.value : v.raw.replace(/^ /, '+'),
    }))
    return { kind: 'param', project: f.project, key: f.key, op: f.op, values }
  },
  sum: (raw) => ({ kind: 'sum', ...readParamKey(raw.trim()) }),
  changed: (raw, fail) => ({ kind: 'changed', ...readChanged(raw, fail) }),
}

const isChipParam = (name: string): name is ChipParam => Object.hasOwn(READERS, name)
const isViewParam = (name: string) => (VIEW_PARAMS as readonly string[]).includes(name)

class Unreadable extends Error {}
const failHere: Fail = (message) => {
  throw new Unreadable(message)
}

/** One URL entry as a chip; an entry the parser would refuse is an `unread` chip saying why. */
export function readChip(name: string, value: string): Chip {
  if (!isChipParam(name)) {
    return { kind: 'unread', name, value, problem: `unknown filter '${name}'` }
  }
  try {
    return READERS[name](value, failHere)
  } catch (err) {
    if (!(err instanceof Unreadable)) throw err
    return { kind: 'unread', name, value, problem: err.message }
  }
}

/** The conditions of a query, each with the URL entry it was read from, in the order written
 *  (empty values are absent). */
export function readChips(query: URLSearchParams): { name: string; value: string; chip: Chip }[] {
  return [...query.entries()]
    .filter(([name, value]) => value.trim() !== '' && !isViewParam(name))
    .map(([name, value]) => ({ name, value, chip: readChip(name, value) }))
}

/** The chips of a query (see readChips). */
export function chipsFromQuery(query: URLSearchParams): Chip[] {
  return readChips(query).map((e) => e.chip)
}

/** A string value in quotes when it would otherwise read as another type (or as nothing). */
export function spellValue(v: ChipValue): string {
  if (v.type !== 'string') return v.text
  const read = parseParamValue(v.text)
  return v.text !== '' && read.type === 'string' && read.value === v.text ? v.text : `"${v.text}"`
}

/** A param key as the syntax writes it: `app-a.mrr`, `mrr`, or `*.utm.source` for a key whose
 *  own name would read as scoped. */
export function spellKey(project: string | null, key: string): string {
  if (project) return `${project}.${key}`
  const read = readParamKey(key)
  return read.project === null && read.key === key ? key : `*.${key}`
}

const at = (project: string | null) => (project ? `@${project}` : '')
const spellMoment = (when: Moment) => ('daysAgo' in when ? `${when.daysAgo}d` : when.iso)

/** The URL entry a chip stands for. */
export function writeChip(chip: Chip): [name: string, value: string] {
  switch (chip.kind) {
    case 'project': {
      const statuses = chip.statuses.length ? `:${chip.statuses.join(',')}` : ''
      return [chip.negate ? 'not_in' : 'in', `${chip.project}${statuses}`]
    }
    case 'status':
      return [chip.negate ? 'not_status' : 'status', chip.statuses.join(',')]
    case 'products':
      return ['min_projects', String(chip.min)]
    case 'activity':
      return [chip.inactive ? 'inactive' : 'active', `${chip.days}${at(chip.project)}`]
    case 'seen':
      return [
        chip.before ? 'seen_before' : 'seen_after',
        `${spellMoment(chip.when)}${at(chip.project)}`,
      ]
    case 'param': {
      const values = chip.values.length ? `:${chip.values.map(spellValue).join(',')}` : ''
      return ['p', `${spellKey(chip.project, chip.key)}:${chip.op}${values}`]
    }
    case 'sum':
      return ['sum', spellKey(chip.project, chip.key)]
    case 'changed': {
      const statuses = chip.statuses.join(',')
      return ['changed', `status:${statuses}${at(chip.project)}:${spellMoment(chip.when)}`]
    }
    case 'unread':
      return [chip.name, chip.value]
  }
}

/** The query of a list of chips, after the entries that are not conditions (search, sort…). */
export function queryFromChips(chips: Chip[], view: URLSearchParams = new URLSearchParams()) {
  const q = new URLSearchParams()
  for (const [k, v] of view) if (isViewParam(k)) q.append(k, v)
  for (const chip of chips) q.append(...writeChip(chip))
  return q
}

/** Why a chip cannot be applied yet (a value missing, a date mistyped…), in the parser's own
 *  words, or 'lost' when the syntax cannot say it (a between value with a comma, a key with a
 *  colon); undefined when it is ready. The builder applies a chip only once this is undefined. */
export function chipProblem(chip: Chip): string | undefined {
  if (chip.kind === 'unread') return chip.problem
  const reread = readChip(...writeChip(chip))
  if (reread.kind === 'unread') return reread.problem
  return sameChip(reread, chip) ? undefined : 'this cannot be written in the filter syntax'
}

export function sameChip(a: Chip, b: Chip): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
