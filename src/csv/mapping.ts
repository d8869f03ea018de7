// CSV import, the pure part: which column is what (a first guess from the header, then checked as
// the user set it), and how one stored row becomes the identify items the ingest API takes. No
// database here; the job that runs it chunk by chunk is ./job.ts.
import { ApiError, type ErrorDetail } from '../lib/errors.js'
import { batchItem, type BatchItem } from '../ingest/schemas.js'
import { BOOLEAN_TEXT, DATE_TEXT, NUMBER_TEXT, isJsonText, unguardText } from './text-guard.js'

export const TARGETS = [
  'skip',
  'email',
  'name',
  // Joined into the name (`Ada Lovelace`) when no full-name column gives it: Mailchimp's,
  // HubSpot's and many a spreadsheet's exports have only these two.
  'first_name',
  'last_name',
  'status',
  'first_seen',
  'last_activity',
  'param',
] as const
export type Target = (typeof TARGETS)[number]
/** `auto`: each cell as TinyCRM's export writes a param (./export.ts): a number or boolean bare,
 *  an object or array as JSON, text (guarded where it would read as another type) otherwise. */
export const PARAM_TYPES = ['text', 'number', 'boolean', 'date', 'json', 'auto'] as const
export type ParamType = (typeof PARAM_TYPES)[number]

export interface ColumnMapping {
  target: Target
  /** For params: the key, and how the cell is read. */
  key?: string
  type?: ParamType
}
export type Mapping = ColumnMapping[]

const SLUGGY = /^[a-z0-9][a-z0-9-]*$/
const FULL_NAME = /^(full[ _]?)?name$/
// "First Name", first_name, FirstName, fname, "Given name"; "Last Name", lname, "Family name",
// Surname.
const FIRST_NAME = /^(first[ _-]?name|fname|given[ _-]?name|forename)$/
const LAST_NAME = /^(last[ _-]?name|lname|family[ _-]?name|surname)$/

/** The param name a header suggests: lower case, runs of anything else as one `_`, accents
 *  dropped ("MRR (USD)" → `mrr_usd`, "Trial ends" → `trial_ends`); `column_3` when nothing is
 *  left. Filters then name it without quoting. */
export function paramKeyFromHeader(header: string, index: number): string {
  const key = header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
  return key || `column_${index + 1}`
}

/** A first guess at the mapping from the header and some rows; the user corrects it. An export of
 *  TinyCRM reads back: `app-a` (the target project's slug) is its status, `app-a.plan` a param. */
export function suggestMapping(
  header: string[],
  sample: string[][],
  projectSlug: string,
  accountSlugs: string[] = [],
): Mapping {
  const taken = new Set<Target>()
  const keys = new Set<string>()
  /** A key not suggested yet: `mrr`, then `mrr_2` for a second column named alike. */
  const uniqueKey = (key: string) => {
    let unique = key
    for (let n = 2; keys.has(unique); n++) unique = `${key}_${n}`
    keys.add(unique)
    return unique
  }
  // An export has the customer-wide dates (first_seen, last_activity) before each project's own:
  // where the file has this project's, they are the relation's dates and the others are skipped.
  const headers = header.map((raw) => raw.trim().toLowerCase())
  const own = (field: string) => headers.includes(`${projectSlug}:${field}`)
  // A rejected-rows file (the import's download, fixed and uploaded again) starts with the line
  // and the reason: not the customers' data.
  const rejectedRows = headers[0] === 'line' && headers[1] === 'reason'
  // A file with a full-name column has its name: its first and last names stay params.
  const fullName = headers.some((h) => FULL_NAME.test(h))
  return header.map((raw, i) => {
    if (rejectedRows && i < 2) return { target: 'skip' }
    const h = headers[i]!
    const once = (target: Target): ColumnMapping => {
      if (taken.has(target)) return { target: 'skip' }
      taken.add(target)
      return { target }
    }
    // "Email", "E-mail", "Email address" (Stripe, Mailchimp), "email_address" (ConvertKit).
    if (/^e-?mail([ _]address)?$/.test(h)) return once('email')
    if (FULL_NAME.test(h)) return once('name')
    if (!fullName && FIRST_NAME.test(h)) return once('first_name')
    if (!fullName && LAST_NAME.test(h)) return once('last_name')
    if (h === 'status' || h === projectSlug) return once('status')
    if (
      h === `${projectSlug}:first_seen` ||
      (!own('first_seen') &&
        // …, "Created (UTC)" (Stripe's customers export), "created_at", "Signed up".
        /^(first[ _]?seen|signed[ _]?up|created)([ _]at|[ _]on|[ _]date)?( \(utc\))?$/.test(h))
    ) {
      return once('first_seen')
    }
    if (
      h === `${projectSlug}:last_activity` ||
      (!own('last_activity') && /^last[ _]?(activity|seen|active)([ _]at)?$/.test(h))
    ) {
      return once('last_activity')
    }
    // A param column of an export (`app-a.plan`, whatever the key holds, colons included); another
    // project's is not this project's data. This project's keeps its key exactly, so an export
    // imports back as it was.
    const dot = raw.indexOf('.')
    let key: string
    const prefix = dot > 0 && SLUGGY.test(raw.slice(0, dot)) ? raw.slice(0, dot) : undefined
    if (prefix === projectSlug || (prefix && accountSlugs.includes(prefix))) {
      // Another project's column is not this project's data. (A dotted header of no project,
      // Stripe's `metadata.source`, is a column like any other.)
      if (prefix !== projectSlug) return { target: 'skip' }
      key = raw.slice(dot + 1)
      if (!key) return { target: 'skip' }
      // An export's param column may mix types (a number here, a text there): each cell is read
      // as the export wrote it. (A rejected-rows file guards every cell: typed below.)
      if (!rejectedRows) return { target: 'param', key: uniqueKey(key), type: 'auto' }
    } else if (
      // An export's own columns, and other projects' status and time columns.
      ['id', 'first_seen', 'last_activity'].includes(h) ||
      h.includes(':') ||
      accountSlugs.includes(h)
    ) {
      return { target: 'skip' }
    } else {
      if (!raw.trim()) return { target: 'skip' }
      key = paramKeyFromHeader(raw, i)
    }
    // A rejected-rows file holds the original cells, each guarded as text (`'42`): its types are
    // those of the cells without the guard. An export's guard marks text and stays.
    const cells = sample.map((r) => (rejectedRows ? unguardText(r[i] ?? '') : (r[i] ?? '')))
    return { target: 'param', key: uniqueKey(key), type: guessType(cells) }
  })
}

function guessType(values: string[]): ParamType {
  const cells = values.map((v) => v.trim()).filter(Boolean)
  if (!cells.length) return 'text'
  if (cells.every((v) => NUMBER_TEXT.test(v) && keptAsNumber(v))) return 'number'
  // true/false, and yes/no as spreadsheets write them (the boolean type reads both).
  if (cells.every((v) => BOOLEAN_TEXT.test(v) || /^(yes|no)$/i.test(v))) return 'boolean'
  if (cells.every((v) => DATE_TEXT.test(v))) return 'date'
  if (cells.every(isJsonText)) return 'json'
  return 'text'
}

/** Whether a number's text survives as a number: not a code with leading zeros (a zip code, an
 *  id: 00123 would be stored as 123), nor a whole number past 2^53 (its last digits lost). */
function keptAsNumber(text: string): boolean {
  return !/^-?0\d/.test(text) && !pastSafeInteger(text)
}

/** A whole number's text whose value a JS number (a float) cannot hold exactly. */
const pastSafeInteger = (text: string) =>
  /^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text))

/** Checks a mapping posted by the form against the header: exactly one email column, at most one
 *  of the others, a key and a type for every param, no key twice. Each problem's path is the form
 *  field it is about (`key_2`), or `mapping` for the mapping as a whole. */
export function validateMapping(mapping: Mapping, header: string[]): Mapping {
  const problems: ErrorDetail[] = []
  const problem = (message: string, path = 'mapping') => problems.push({ path, message })
  if (mapping.length !== header.length) problem('one mapping per column is needed')
  const count = (t: Target) => mapping.filter((m) => m.target === t).length
  if (count('email') !== 1) problem('map exactly one column to email')
  // Every target but these is one column at most: a param has a column per key.
  for (const t of TARGETS) {
    if (t === 'skip' || t === 'email' || t === 'param') continue
    if (count(t) > 1) problem(`map at most one column to ${t}`)
  }
  const keys = new Set<string>()
  mapping.forEach((m, i) => {
    if (!TARGETS.includes(m.target)) problem(`column ${header[i]}: unknown target`, `target_${i}`)
    if (m.target !== 'param') return
    const key = m.key?.trim() ?? ''
    if (!key || key.length > 200)
      problem(`column ${header[i]}: a param needs a name (1 to 200 characters)`, `key_${i}`)
    else if (keys.has(key)) problem(`param ${key} is mapped twice`, `key_${i}`)
    keys.add(key)
    if (!PARAM_TYPES.includes(m.type as ParamType))
      problem(`column ${header[i]}: pick a type`, `type_${i}`)
  })
  if (problems.length) {
    throw new ApiError('validation_failed', problems.map((p) => p.message).join('; '), problems)
  }
  return mapping.map((m) =>
    m.target === 'param' ? { ...m, key: m.key!.trim() } : { target: m.target },
  )
}

/** A cell as an ISO time: a day (YYYY-MM-DD, midnight UTC) or a date-time (ISO 8601, `T` or a
 *  space between). A date-time without its offset is UTC, whatever the server's time zone. */
function readDate(cell: string): string | undefined {
  const s = cell.trim().replace(' ', 'T')
  const m = /^(\d{4}-\d{2}-\d{2})(T.+)?$/.exec(s)
  if (!m) return undefined
  const [, ymd, time] = m
  // A day of the calendar: Date reads 2026-02-30 as 2 March.
  const day = new Date(`${ymd}T00:00:00Z`)
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== ymd) return undefined
  if (!time) return day.toISOString()
  const at = new Date(/(Z|[+-]\d\d(:?\d\d)?)$/i.test(time) ? s : `${s}Z`)
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString()
}

function readParam(cell: string, type: ParamType): { value: unknown } | { error: string } {
  // An exported cell may carry the export's apostrophe (a spreadsheet's "this is text" mark).
  const s = unguardText(cell).trim()
  switch (type) {
    case 'text':
      return { value: unguardText(cell) }
    case 'number': {
      const n = Number(s)
      if (!NUMBER_TEXT.test(s) || !Number.isFinite(n)) return { error: 'is not a number' }
      if (pastSafeInteger(s)) {
        return {
          error: 'is a whole number past 2^53, which a number cannot keep exactly: map it as text',
        }
      }
      return { value: n }
    }
    case 'boolean': {
      const b = s.toLowerCase()
      if (['true', 'yes', '1', 'y'].includes(b)) return { value: true }
      if (['false', 'no', '0', 'n'].includes(b)) return { value: false }
      return { error: 'is not true/false' }
    }
    case 'date': {
      // Dates stay as the text filters compare: a day as YYYY-MM-DD, a time as full ISO.
      if (/^\d{4}-\d{2}-\d{2}$/.test(s) && readDate(s)) return { value: s }
      const iso = readDate(s)
      return iso ? { value: iso } : { error: 'is not a date (YYYY-MM-DD or ISO 8601)' }
    }
    case 'json':
      try {
        return { value: JSON.parse(s) }
      } catch {
        return { error: 'is not JSON' }
      }
    case 'auto': {
      // Guarded text is text; the export writes numbers, booleans and JSON bare.
      const text = unguardText(cell)
      if (text !== cell) return { value: text }
      const t = cell.trim()
      if (NUMBER_TEXT.test(t) && Number.isFinite(Number(t))) return { value: Number(t) }
      if (BOOLEAN_TEXT.test(t)) return { value: t.toLowerCase() === 'true' }
      if (isJsonText(t)) return { value: JSON.parse(t) }
      return { value: cell }
    }
  }
}

/** The fields the mapping form posts for `mapping` left as it is shown: a column without a key
 *  shows the one its header suggests, and text as its type. */
export function mappingFields(mapping: Mapping, suggestedKeys: string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  suggestedKeys.forEach((suggested, i) => {
    const m = mapping[i]
    fields[`target_${i}`] = m?.target ?? 'skip'
    fields[`key_${i}`] = m?.key ?? suggested
    fields[`type_${i}`] = m?.type ?? 'text'
  })
  return fields
}

/** The mapping form's fields (target_i, key_i, type_i) as a Mapping. */
export function mappingFromForm(form: Record<string, unknown>, columns: number): Mapping {
  const out: ColumnMapping[] = []
  for (let i = 0; i < columns; i++) {
    const target = String(form[`target_${i}`] ?? 'skip') as Target
    out.push(
      target === 'param'
        ? {
            target,
            key: String(form[`key_${i}`] ?? ''),
            type: String(form[`type_${i}`] ?? 'text') as ParamType,
          }
        : { target },
    )
  }
  return out
}

export interface Converted {
  line: number
  email?: string
  /** The identify items of the row (two when a first-seen time is mapped), before the timestamp
   *  of rows without a last-activity column is decided. */
  items?: BatchItem[]
  hasActivity?: boolean
  error?: string
}

/** One stored row (its file line first, then the cells) → identify items, or why it is rejected:
 *  every problem of the row at once (a bad number and a bad status both), so that one fix of the
 *  rejected-rows file is enough. The items go through the ingest API's own schema, so an import
 *  accepts what the API accepts. */
export function convertRow(stored: string[], mapping: Mapping, header: string[]): Converted {
  const line = Number(stored[0])
  const cells = stored.slice(1)
  if (cells.length !== header.length) {
    return { line, error: `has ${cells.length} fields, the header has ${header.length}` }
  }
  const item: Record<string, unknown> = { type: 'identify' }
  // No prototype: a column named `__proto__` is a param like any other, not this object's prototype.
  const params: Record<string, unknown> = Object.create(null)
  let firstSeen: string | undefined
  let lastActivity: string | undefined
  const nameParts: { first?: string; last?: string } = {}
  const problems: string[] = []
  for (let i = 0; i < mapping.length; i++) {
    const m = mapping[i]!
    const cell = cells[i] ?? ''
    if (m.target === 'skip' || (cell.trim() === '' && m.target !== 'email')) continue
    const where = `column ${header[i]}: '${cell.length > 40 ? cell.slice(0, 40) + '…' : cell}'`
    if (m.target === 'email') item.email = unguardText(cell.trim())
    else if (m.target === 'name') item.name = unguardText(cell.trim())
    else if (m.target === 'first_name') nameParts.first = unguardText(cell.trim()).trim()
    else if (m.target === 'last_name') nameParts.last = unguardText(cell.trim()).trim()
    else if (m.target === 'status') item.status = unguardText(cell.trim())
    else if (m.target === 'first_seen' || m.target === 'last_activity') {
      // A rejected-rows download guards a date cell as text (`'2026-03-04`): read it back.
      const iso = readDate(unguardText(cell.trim()))
      if (!iso) {
        problems.push(`${where} is not a date`)
        continue
      }
      if (m.target === 'first_seen') firstSeen = iso
      else lastActivity = iso
    } else {
      const read = readParam(cell, m.type!)
      if ('error' in read) problems.push(`${where} ${read.error}`)
      else params[m.key!] = read.value
    }
  }
  // A full-name column wins; where its cell is empty (or none is mapped) the first and last names
  // are the name, either alone when the other is empty. The joined name is checked as any name.
  const joined = [nameParts.first, nameParts.last].filter(Boolean).join(' ')
  if (item.name === undefined && joined) item.name = joined
  if (Object.keys(params).length) item.params = params
  if (lastActivity) item.timestamp = lastActivity
  const parsed = batchItem.safeParse(item)
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => i.message))
  const first = firstSeen
    ? batchItem.safeParse({ type: 'identify', email: item.email, timestamp: firstSeen })
    : undefined
  // The email's problem is said once, by the row's own item.
  if (first && !first.success && parsed.success) {
    problems.push(...first.error.issues.map((i) => i.message))
  }
  if (problems.length || !parsed.success) return { line, error: problems.join('; ') }
  const items: BatchItem[] = [parsed.data]
  // First, so the folded upsert takes the earliest time as first seen and the row's values last.
  if (first?.success) items.unshift(first.data)
  return { line, email: parsed.data.email, items, hasActivity: lastActivity !== undefined }
}
