// CSV import, after the upload (./upload.ts): the column mapping, the conversion of a row into the
// identify items the ingest API takes, and the job itself. A job advances one chunk (1,000 rows)
// per step, and every dashboard poll runs steps for about a second: no background threads, so it
// works the same on Node and on Workers. The dry run and the import run the same steps and the same
// classification SELECT; only the import writes, through `ingestForProject` (one statement per
// chunk: the same upsert as the API).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { batchItem, type BatchItem } from '../ingest/schemas.js'
import { ingestForProject } from '../ingest/upsert.js'

export const TARGETS = [
  'skip',
  'email',
  'name',
  'status',
  'first_seen',
  'last_activity',
  'param',
] as const
export type Target = (typeof TARGETS)[number]
export const PARAM_TYPES = ['text', 'number', 'boolean', 'date', 'json'] as const
export type ParamType = (typeof PARAM_TYPES)[number]

export interface ColumnMapping {
  target: Target
  /** For params: the key, and how the cell is read. */
  key?: string
  type?: ParamType
}
export type Mapping = ColumnMapping[]

export type Outcome = 'created' | 'updated' | 'merged' | 'rejected'
export type Counts = Record<Outcome, number>
export const NO_COUNTS: Counts = { created: 0, updated: 0, merged: 0, rejected: 0 }

const SLUGGY = /^[a-z0-9][a-z0-9-]*$/

/** A first guess at the mapping from the header and some rows; the user corrects it. An export of
 *  TinyCRM reads back: `app-a` (the target project's slug) is its status, `app-a.plan` a param. */
export function suggestMapping(
  header: string[],
  sample: string[][],
  projectSlug: string,
  accountSlugs: string[] = [],
): Mapping {
  const taken = new Set<Target>()
  return header.map((raw, i) => {
    const h = raw.trim().toLowerCase()
    const once = (target: Target): ColumnMapping => {
      if (taken.has(target)) return { target: 'skip' }
      taken.add(target)
      return { target }
    }
    if (/^e-?mail( address)?$/.test(h)) return once('email')
    if (/^(full[ _]?)?name$/.test(h)) return once('name')
    if (h === 'status' || h === projectSlug) return once('status')
    if (
      h === `${projectSlug}:first_seen` ||
      /^(first[ _]?seen|signed[ _]?up|created)([ _]at)?$/.test(h)
    ) {
      return once('first_seen')
    }
    if (
      h === `${projectSlug}:last_activity` ||
      /^last[ _]?(activity|seen|active)([ _]at)?$/.test(h)
    ) {
      return once('last_activity')
    }
    // An export's own columns, and other projects' status and time columns.
    if (
      ['id', 'first_seen', 'last_activity'].includes(h) ||
      h.includes(':') ||
      accountSlugs.includes(h)
    ) {
      return { target: 'skip' }
    }
    const dot = raw.indexOf('.')
    let key = raw.trim()
    if (dot > 0 && SLUGGY.test(raw.slice(0, dot))) {
      // Another project's column of an export: not this project's data.
      if (raw.slice(0, dot) !== projectSlug) return { target: 'skip' }
      key = raw.slice(dot + 1)
    }
    if (!key) return { target: 'skip' }
    return { target: 'param', key, type: guessType(sample.map((r) => r[i] ?? '')) }
  })
}

function guessType(values: string[]): ParamType {
  const cells = values.map((v) => v.trim()).filter(Boolean)
  if (!cells.length) return 'text'
  if (cells.every((v) => /^-?\d+(\.\d+)?$/.test(v))) return 'number'
  if (cells.every((v) => /^(true|false)$/i.test(v))) return 'boolean'
  if (cells.every((v) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)))
    return 'date'
  return 'text'
}

/** Checks a mapping posted by the form against the header: exactly one email column, at most one
 *  of the others, a key and a type for every param, no key twice. */
export function validateMapping(mapping: Mapping, header: string[]): Mapping {
  const problems: string[] = []
  if (mapping.length !== header.length) problems.push('one mapping per column is needed')
  const count = (t: Target) => mapping.filter((m) => m.target === t).length
  if (count('email') !== 1) problems.push('map exactly one column to email')
  for (const t of ['name', 'status', 'first_seen', 'last_activity'] as const) {
    if (count(t) > 1) problems.push(`map at most one column to ${t}`)
  }
  const keys = new Set<string>()
  mapping.forEach((m, i) => {
    if (m.target !== 'param') return
    const key = m.key?.trim() ?? ''
    if (!key || key.length > 200)
      problems.push(`column ${header[i]}: a param needs a name (1 to 200 characters)`)
    else if (keys.has(key)) problems.push(`param ${key} is mapped twice`)
    keys.add(key)
    if (!PARAM_TYPES.includes(m.type as ParamType))
      problems.push(`column ${header[i]}: pick a type`)
  })
  if (problems.length) {
    throw new ApiError(
      'validation_failed',
      problems.join('; '),
      problems.map((message) => ({ path: 'mapping', message })),
    )
  }
  return mapping.map((m) =>
    m.target === 'param' ? { ...m, key: m.key!.trim() } : { target: m.target },
  )
}

/** Undoes the export's formula guard: a leading apostrophe before = + - @ (see ./export.ts). */
const unguard = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s)

function readDate(cell: string): string | undefined {
  const s = cell.trim()
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined
  const d = new Date(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T'))
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

function readParam(cell: string, type: ParamType): { value: unknown } | { error: string } {
  const s = cell.trim()
  switch (type) {
    case 'text':
      return { value: unguard(cell) }
    case 'number': {
      const n = Number(s.replace(/^'/, ''))
      return /^'?-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s) && Number.isFinite(n)
        ? { value: n }
        : { error: 'is not a number' }
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
        return { value: JSON.parse(unguard(s)) }
      } catch {
        return { error: 'is not JSON' }
      }
  }
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

/** One stored row (its file line first, then the cells) → identify items, or why it is rejected.
 *  The items go through the ingest API's own schema, so an import accepts what the API accepts. */
export function convertRow(stored: string[], mapping: Mapping, header: string[]): Converted {
  const line = Number(stored[0])
  const cells = stored.slice(1)
  if (cells.length !== header.length) {
    return { line, error: `has ${cells.length} fields, the header has ${header.length}` }
  }
  const item: Record<string, unknown> = { type: 'identify' }
  const params: Record<string, unknown> = {}
  let firstSeen: string | undefined
  let lastActivity: string | undefined
  for (let i = 0; i < mapping.length; i++) {
    const m = mapping[i]!
    const cell = cells[i] ?? ''
    if (m.target === 'skip' || (cell.trim() === '' && m.target !== 'email')) continue
    const where = `column ${header[i]}: '${cell.length > 40 ? cell.slice(0, 40) + '…' : cell}'`
    if (m.target === 'email') item.email = unguard(cell.trim())
    else if (m.target === 'name') item.name = unguard(cell.trim())
    else if (m.target === 'status') item.status = cell.trim()
    else if (m.target === 'first_seen' || m.target === 'last_activity') {
      const iso = readDate(cell)
      if (!iso) return { line, error: `${where} is not a date` }
      if (m.target === 'first_seen') firstSeen = iso
      else lastActivity = iso
    } else {
      const read = readParam(cell, m.type!)
      if ('error' in read) return { line, error: `${where} ${read.error}` }
      params[m.key!] = read.value
    }
  }
  if (Object.keys(params).length) item.params = params
  if (lastActivity) item.timestamp = lastActivity
  const parsed = batchItem.safeParse(item)
  if (!parsed.success) {
    return { line, error: parsed.error.issues.map((i) => i.message).join('; ') }
  }
  const items: BatchItem[] = [parsed.data]
  if (firstSeen) {
    const first = batchItem.safeParse({ type: 'identify', email: item.email, timestamp: firstSeen })
    if (!first.success) return { line, error: first.error.issues.map((i) => i.message).join('; ') }
    // First, so the folded upsert takes the earliest time as first seen and the row's values last.
    items.unshift(first.data)
  }
  return { line, email: parsed.data.email, items, hasActivity: lastActivity !== undefined }
}

interface Known {
  email: string
  customer_id: number | null
  rel_last: Date | string | null
  earlier: boolean
}

/** Where each email stands, without writing any customer: a customer of the account (or an alias
 *  of one), with or without a relation to this project; and, for a dry run, whether an earlier
 *  chunk had it (noted in import_emails, in the same statement). */
async function classify(db: Kysely<Database>, job: Job, emails: string[], dryRun: boolean) {
  const noted = dryRun
    ? sql`INSERT INTO import_emails (import_id, email) SELECT ${job.id}, email FROM x
        ON CONFLICT DO NOTHING RETURNING email`
    : sql`SELECT email FROM x`
  const { rows } = await sql<Known>`
WITH x AS (SELECT DISTINCT email FROM unnest(${emails}::text[]) AS u(email)),
noted AS (${noted})
SELECT x.email, COALESCE(c.id, al.customer_id) AS customer_id, r.last_activity_at AS rel_last,
  NOT EXISTS (SELECT 1 FROM noted n WHERE n.email = x.email) AS earlier
FROM x
LEFT JOIN customers c ON c.account_id = ${job.account_id} AND c.email = x.email
LEFT JOIN customer_aliases al ON al.account_id = ${job.account_id} AND al.email = x.email
LEFT JOIN customer_projects r ON r.customer_id = COALESCE(c.id, al.customer_id) AND r.project_id = ${job.project_id}`.execute(
    db,
  )
  return new Map(rows.map((r) => [r.email, r]))
}

export interface Job {
  id: number
  account_id: number
  project_id: number
  header: string[]
  mapping: Mapping
  state: string
  next_chunk: number
  chunks: number
  created_at: Date
  counts: Counts
}

/** Runs one step (one chunk) of a dry run or an import. Returns false when there is nothing left. */
export async function runStep(db: Kysely<Database>, job: Job): Promise<boolean> {
  const dryRun = job.state === 'dry_run'
  if (!dryRun && job.state !== 'importing') return false
  if (job.next_chunk >= job.chunks) return false
  const chunk = await db
    .selectFrom('import_chunks')
    .select('rows')
    .where('import_id', '=', job.id)
    .where('seq', '=', job.next_chunk)
    .executeTakeFirst()
  const stored = chunk?.rows ?? []

  const converted = stored.map((row) => convertRow(row, job.mapping, job.header))
  const valid = converted.filter((c) => !c.error)
  const known = valid.length
    ? await classify(db, job, [...new Set(valid.map((c) => c.email!))], dryRun)
    : new Map()
  const counts: Counts = { ...NO_COUNTS }
  const inChunk = new Set<string>()
  const items: BatchItem[] = []
  for (const row of converted) {
    if (row.error) {
      counts.rejected++
      continue
    }
    const k: Known | undefined = known.get(row.email!)
    const seen = inChunk.has(row.email!) || k?.earlier
    inChunk.add(row.email!)
    counts[k?.rel_last || seen ? 'updated' : k?.customer_id ? 'merged' : 'created']++
    // Without a last-activity column, a known relation keeps its own time and a new one starts at
    // the job's creation: importing the same file again then changes nothing.
    const ts = row.hasActivity
      ? undefined
      : k?.rel_last
        ? new Date(k.rel_last)
        : new Date(job.created_at)
    for (const item of row.items!)
      items.push(ts && !item.timestamp ? { ...item, timestamp: ts } : item)
  }
  // Statistics keep up by themselves: autovacuum on Postgres, the statistics keeper on PGlite
  // (src/db/node.ts), so an import runs no ANALYZE of its own (on Neon it would be wasted).
  if (!dryRun && items.length) await ingestForProject(db, job.project_id, items)

  const rejects = converted.flatMap((c, i) =>
    c.error
      ? [
          {
            import_id: job.id,
            line: c.line,
            reason: c.error,
            cells: JSON.stringify(stored[i]!.slice(1)),
          },
        ]
      : [],
  )
  if (rejects.length) {
    await db
      .insertInto('import_rejects')
      .values(rejects)
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  const total: Counts = { ...NO_COUNTS }
  for (const k of Object.keys(total) as Outcome[]) total[k] = (job.counts[k] ?? 0) + counts[k]
  const last = job.next_chunk + 1 >= job.chunks
  // Compare-and-set on next_chunk: two polls racing on one chunk count it once.
  const advanced = await db
    .updateTable('imports')
    .set({
      next_chunk: job.next_chunk + 1,
      counts: JSON.stringify(total),
      ...(last
        ? dryRun
          ? { state: 'dry_run_done' as const, dry_run: JSON.stringify(total) }
          : { state: 'done' as const, finished_at: new Date() }
        : {}),
    })
    .where('id', '=', job.id)
    .where('next_chunk', '=', job.next_chunk)
    .where('state', '=', job.state as 'dry_run')
    .returning('id')
    .executeTakeFirst()
  if (!advanced) return false // another poll did this chunk; the next poll reloads the job
  job.next_chunk++
  job.counts = total
  if (last) job.state = dryRun ? 'dry_run_done' : 'done'
  // The file's rows are personal data: once imported, only the rejected rows are kept.
  if (last && !dryRun) {
    await db.deleteFrom('import_chunks').where('import_id', '=', job.id).execute()
    await db.deleteFrom('import_emails').where('import_id', '=', job.id).execute()
  }
  return !last
}

export async function loadJob(db: Kysely<Database>, accountId: number, importId: number) {
  const row = await db
    .selectFrom('imports')
    .selectAll()
    .where('id', '=', importId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  if (!row) throw new ApiError('not_found', 'No such import')
  return {
    ...row,
    mapping: (row.mapping as Mapping | null) ?? [],
    counts: { ...NO_COUNTS, ...row.counts },
    dry_run: row.dry_run as Counts | null,
  }
}

/** Runs steps until the job ends or `budgetMs` has passed (one poll's worth of work). */
export async function runFor(db: Kysely<Database>, job: Job, budgetMs: number) {
  const until = Date.now() + budgetMs
  while (Date.now() < until && (await runStep(db, job))) {
    // keep going
  }
}

/** Sets the mapping and starts the dry run (from the first chunk). */
export async function startDryRun(
  db: Kysely<Database>,
  accountId: number,
  importId: number,
  mapping: Mapping,
) {
  const job = await loadJob(db, accountId, importId)
  if (job.state === 'importing' || job.state === 'done') {
    throw new ApiError('conflict', 'This import has already started')
  }
  const valid = validateMapping(mapping, job.header)
  await db.deleteFrom('import_rejects').where('import_id', '=', importId).execute()
  await db.deleteFrom('import_emails').where('import_id', '=', importId).execute()
  await db
    .updateTable('imports')
    .set({
      mapping: JSON.stringify(valid),
      state: 'dry_run',
      next_chunk: 0,
      counts: '{}',
      dry_run: null,
    })
    .where('id', '=', importId)
    .execute()
}

/** Starts the import proper, after a finished dry run. */
export async function startImport(db: Kysely<Database>, accountId: number, importId: number) {
  const row = await db
    .updateTable('imports')
    .set({ state: 'importing', next_chunk: 0, counts: '{}' })
    .where('id', '=', importId)
    .where('account_id', '=', accountId)
    .where('state', '=', 'dry_run_done')
    .returning('id')
    .executeTakeFirst()
  if (!row)
    throw new ApiError('conflict', 'Run the dry run first (or this import has already started)')
}

export async function listRejects(db: Kysely<Database>, importId: number, limit?: number) {
  let q = db
    .selectFrom('import_rejects')
    .select(['line', 'reason', 'cells'])
    .where('import_id', '=', importId)
    .orderBy('line')
  if (limit) q = q.limit(limit)
  return q.execute()
}

/** The whole flow without a browser (tests, scripts): dry run, then import, to the end. */
export async function importToEnd(
  db: Kysely<Database>,
  accountId: number,
  importId: number,
  mapping: Mapping,
): Promise<{ dryRun: Counts; counts: Counts }> {
  await startDryRun(db, accountId, importId, mapping)
  const job = await loadJob(db, accountId, importId)
  while (await runStep(db, job)) {
    // one chunk per step
  }
  const dryRun = { ...job.counts }
  await startImport(db, accountId, importId)
  const running = await loadJob(db, accountId, importId)
  while (await runStep(db, running)) {
    // one chunk per step
  }
  return { dryRun, counts: running.counts }
}
