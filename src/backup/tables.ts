// The tables a bundle carries (./bundle.ts), in the order an import needs them, and those it leaves
// out on purpose. A table added to the schema must be named in one list or the other
// (./bundle.test.ts checks every table of the schema is).
import type { Database } from '../db/schema.js'

export interface TableSpec {
  name: keyof Database
  /** The primary key: the order rows are written, read and hashed in. Text columns are compared
   *  in the "C" collation, so PGlite and a Postgres with another locale agree on the order. */
  key: { column: string; text?: boolean }[]
  /** Columns pointing at rows of the same table (a merged customer's survivor may come later):
   *  inserted empty, then set once the whole table is in. */
  selfRefs?: string[]
  /** A history table that a trigger fills when rows are inserted here. The bundle carries the
   *  history as it was (it comes later in the file), so the trigger's own rows are removed. */
  history?: keyof Database
}

const id = [{ column: 'id' }]
/** Every table that belongs to accounts, parents first (the order the foreign keys need). */
export const BUNDLE_TABLES: TableSpec[] = [
  { name: 'accounts', key: id },
  { name: 'users', key: id },
  { name: 'projects', key: id },
  { name: 'api_keys', key: id },
  { name: 'customers', key: id, selfRefs: ['merged_into'] },
  {
    name: 'customer_projects',
    key: [{ column: 'customer_id' }, { column: 'project_id' }],
    history: 'relation_changes',
  },
  { name: 'relation_changes', key: id },
  { name: 'merges', key: id },
  { name: 'account_tokens', key: id },
  { name: 'invites', key: id },
  { name: 'imports', key: id },
  { name: 'import_chunks', key: [{ column: 'import_id' }, { column: 'seq' }] },
  { name: 'import_rejects', key: [{ column: 'import_id' }, { column: 'line' }] },
  { name: 'import_emails', key: [{ column: 'import_id' }, { column: 'email', text: true }] },
  { name: 'audit_events', key: id },
  { name: 'billing_connections', key: [{ column: 'id', text: true }] },
  {
    name: 'billing_events',
    key: [
      { column: 'connection_id', text: true },
      { column: 'event_id', text: true },
    ],
  },
  {
    name: 'billing_customers',
    key: [
      { column: 'project_id' },
      { column: 'provider', text: true },
      { column: 'billing_customer_id', text: true },
    ],
  },
  {
    name: 'billing_relations',
    key: [{ column: 'project_id' }, { column: 'email', text: true }],
  },
  { name: 'saved_views', key: id },
  {
    name: 'segment_messages',
    key: [{ column: 'project_id' }, { column: 'message_id', text: true }],
  },
  {
    name: 'segment_ids',
    key: [{ column: 'project_id' }, { column: 'external_id', text: true }],
  },
]

/** Tables left out on purpose: login sessions (everyone logs in again on the new host) and
 *  failed-login counters; Kysely's migration bookkeeping is the target's own. */
export const NOT_IN_BUNDLE = [
  'sessions',
  'login_failures',
  'kysely_migration',
  'kysely_migration_lock',
]
