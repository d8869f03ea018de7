// Where each row of an import chunk stands before anything is written (./job.ts counts them):
// the customer and relation its email has now, and whether a row would change them at all.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Converted } from './mapping.js'

export interface Known {
  email: string
  customer_id: number | null
  /** The customer's name and its relation to this project, to tell whether a row changes them. */
  name: string | null
  status: string | null
  params: Record<string, unknown> | null
  rel_first: Date | string | null
  rel_last: Date | string | null
  earlier: boolean
}

/** Where each email stands, without writing any customer: a customer of the account (or an alias
 *  of one), with or without a relation to this project, as it is now; and whether an earlier
 *  chunk had it (noted in import_emails, in the same statement). */
export async function classify(
  db: Kysely<Database>,
  job: { id: number; account_id: number; project_id: number },
  emails: string[],
  dryRun: boolean,
) {
  // The dry run notes each email the first time a chunk has it; the import takes each note back
  // the first time, so an email repeated in the file counts the same way in both.
  const noted = dryRun
    ? sql`INSERT INTO import_emails (import_id, email) SELECT ${job.id}, email FROM x
        ON CONFLICT DO NOTHING RETURNING email`
    : sql`DELETE FROM import_emails e WHERE e.import_id = ${job.id}
        AND e.email IN (SELECT email FROM x) RETURNING e.email`
  const { rows } = await sql<Known>`
WITH x AS (SELECT DISTINCT email FROM unnest(${emails}::text[]) AS u(email)),
noted AS (${noted})
SELECT x.email, s.id AS customer_id, s.name, r.status, r.params,
  r.first_seen_at AS rel_first, r.last_activity_at AS rel_last,
  NOT EXISTS (SELECT 1 FROM noted n WHERE n.email = x.email) AS earlier
FROM x
LEFT JOIN customers c ON c.account_id = ${job.account_id} AND c.email = x.email
LEFT JOIN customers s ON s.id = COALESCE(c.merged_into, c.id)
LEFT JOIN customer_projects r ON r.customer_id = s.id AND r.project_id = ${job.project_id}`.execute(
    db,
  )
  return new Map(rows.map((r) => [r.email, r]))
}

/** Same JSON value, whatever the order of object keys (jsonb sorts them its own way). */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}

/** Whether a row would leave a customer already in this project exactly as it is: the same name,
 *  status and params (a null param removes a key: a change only if the key is there), a first
 *  seen no earlier and a last activity no later. Re-importing a file says "unchanged", not
 *  "updated". */
export function changesNothing(row: Converted, k: Known): boolean {
  const items = row.items!
  const main = items[items.length - 1]!
  if (main.type !== 'identify') return false
  if (main.name?.trim() && main.name.trim() !== k.name) return false
  if (main.status && main.status !== k.status) return false
  const stored = k.params ?? {}
  for (const [key, value] of Object.entries(main.params ?? {})) {
    if (value === null ? key in stored : !sameJson(stored[key], value)) return false
  }
  const first = items.length > 1 ? items[0]!.timestamp : undefined
  if (first && k.rel_first && first < new Date(k.rel_first)) return false
  if (main.timestamp && k.rel_last && main.timestamp > new Date(k.rel_last)) return false
  return true
}

/** The rows of one email in a chunk as one row, as the ingest statement's fold applies them
 *  (../ingest/fold.ts): the last non-empty name, newest wins for the status and each param key
 *  (rows with a last-activity time; a later row wins a tie, and rows without one are dated
 *  alike), the earliest first-seen time and the latest time: what the file as a whole does to
 *  the relation. */
export function foldRows(rows: Converted[]): Converted {
  if (rows.length === 1) return rows[0]!
  const last = rows[rows.length - 1]!
  const lastItems = last.items!
  const main = { ...lastItems[lastItems.length - 1]! }
  if (main.type !== 'identify') return last
  main.timestamp = undefined
  const params: Record<string, unknown> = Object.create(null)
  const keyTimes = new Map<string, number>()
  let statusTime = -Infinity
  let first: Date | undefined
  for (const row of rows) {
    const items = row.items!
    const item = items[items.length - 1]!
    if (item.type !== 'identify') continue
    const time = item.timestamp?.getTime() ?? -Infinity
    if (item.name?.trim()) main.name = item.name
    if (item.status && time >= statusTime) {
      main.status = item.status
      statusTime = time
    }
    for (const [key, value] of Object.entries(item.params ?? {})) {
      if ((keyTimes.get(key) ?? -Infinity) > time) continue
      params[key] = value
      keyTimes.set(key, time)
    }
    if (item.timestamp && (!main.timestamp || item.timestamp > main.timestamp)) {
      main.timestamp = item.timestamp
    }
    const seen = items.length > 1 ? items[0]!.timestamp : undefined
    if (seen && (!first || seen < first)) first = seen
  }
  main.params = params
  return { ...last, items: first ? [{ ...lastItems[0]!, timestamp: first }, main] : [main] }
}
