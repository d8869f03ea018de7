// CSV export of any segment the customers table can show (the same filter), streamed page by page
// (keyset pagination, never the whole segment in memory). One row per customer; per project a
// status column (`app-a`), its first seen / last activity (`app-a:first_seen`, `app-a:last_activity`)
// and the params flattened (`app-a.plan`). Written by hand: quoting is RFC 4180, and text cells
// that a spreadsheet would run as a formula (or read as a number, a date …) are guarded so that our
// own import reads back exactly what was exported.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import type { CustomerFilter } from '../customers/filter-syntax.js'
import { filterConditions } from '../customers/conditions.js'
import { listCustomers, type CustomerRow } from '../customers/query.js'
import { guardText } from './text-guard.js'

const PAGE = 500

function quote(s: string): string {
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** One CSV cell. Numbers and booleans are written as such, an object or array param as its JSON;
 *  text that a spreadsheet would run as a formula or read as another type gets a leading
 *  apostrophe (./text-guard.ts), which the importer takes off again. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return quote(JSON.stringify(value))
  return quote(guardText(String(value)))
}

export const csvLine = (cells: unknown[]) => cells.map(csvCell).join(',') + '\r\n'

interface Column {
  header: string
  value: (row: CustomerRow) => unknown
}

/** The columns of a segment: fixed customer columns, then per project (account order) its status,
 *  times and every param key any customer of the segment has there; and the account's project
 *  slugs. One statement. */
async function columnsFor(db: Kysely<Database>, accountId: number, filter: CustomerFilter) {
  const { rows } = await sql<{ id: number; slug: string; keys: string[] | null }>`
SELECT p.id, p.slug, (
  SELECT array_agg(DISTINCT k ORDER BY k)
  FROM customer_projects r JOIN customers c ON c.id = r.customer_id, jsonb_object_keys(r.params) k
  WHERE r.project_id = p.id AND ${sql.join(filterConditions(accountId, filter), sql` AND `)}
) AS keys
FROM projects p WHERE p.account_id = ${accountId}
ORDER BY p.created_at, p.id`.execute(db)
  const columns: Column[] = [
    { header: 'id', value: (r) => r.id },
    { header: 'email', value: (r) => r.email },
    { header: 'name', value: (r) => r.name },
    { header: 'first_seen', value: (r) => r.createdAt },
    { header: 'last_activity', value: (r) => r.lastActivityAt },
  ]
  for (const p of rows) {
    const rel = (r: CustomerRow) => r.relations.find((x) => x.projectId === Number(p.id))
    columns.push(
      { header: p.slug, value: (r) => rel(r)?.status },
      { header: `${p.slug}:first_seen`, value: (r) => rel(r)?.firstSeenAt },
      { header: `${p.slug}:last_activity`, value: (r) => rel(r)?.lastActivityAt },
    )
    for (const key of p.keys ?? []) {
      // Own keys only: `constructor` or `toString` of a customer without that param is an empty
      // cell, not Object.prototype's function.
      columns.push({
        header: `${p.slug}.${key}`,
        value: (r) => {
          const params = rel(r)?.params
          return params && Object.hasOwn(params, key) ? params[key] : undefined
        },
      })
    }
  }
  return { columns, slugs: rows.map((p) => p.slug) }
}

/**
 * The segment as a stream of CSV (UTF-8, with a BOM so spreadsheets read accents right, CRLF line
 * ends). Pages of 500 customers are fetched as the consumer reads, so memory stays flat however
 * big the segment is.
 */
export async function exportCustomersCsv(
  db: Kysely<Database>,
  accountId: number,
  filter: CustomerFilter,
): Promise<ReadableStream<Uint8Array>> {
  const { columns, slugs } = await columnsFor(db, accountId, filter)
  // Before the first byte: an unknown project is the caller's 400, not a file of everyone.
  checkFilterProjects(filter, slugs)
  const encoder = new TextEncoder()
  let page: CustomerFilter | undefined = { ...filter, after: undefined, limit: PAGE }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Headers are ours (fixed names, `slug.key`, `slug:first_seen`): quoted, never guarded.
      const header = columns.map((c) => quote(c.header)).join(',') + '\r\n'
      controller.enqueue(encoder.encode('\uFEFF' + header))
    },
    async pull(controller) {
      if (!page) return controller.close()
      const { rows, next } = await listCustomers(db, accountId, page)
      let out = ''
      for (const row of rows) out += csvLine(columns.map((c) => c.value(row)))
      if (out) controller.enqueue(encoder.encode(out))
      page = next ? { ...page, after: parseCustomerFilter({ after: next }).after } : undefined
      if (!page) controller.close()
    },
  })
}

/** A file name for the download: the date, plus the filter if short. */
export function exportFilename(now = new Date()) {
  return `customers-${now.toISOString().slice(0, 10)}.csv`
}
