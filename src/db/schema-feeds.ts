// The tables data from outside flows through (CSV imports, billing webhooks from Stripe and
// Paddle, Segment) and the trails of what happened (audit events, the history of relation
// changes). Part of the one description of the database, ./schema.ts, which lists every table.
import type { ColumnType, Generated } from 'kysely'
import type { NullableTimestamp, Timestamp } from './schema.js'

export interface ImportsTable {
  id: Generated<number>
  account_id: number
  project_id: number
  filename: string
  header: ColumnType<string[], string, string>
  total_rows: Generated<number>
  chunks: Generated<number>
  mapping: ColumnType<unknown, string | null | undefined, string | null>
  /** `uploading` until the file's last row is stored; then as the job goes. */
  state: Generated<'uploading' | 'uploaded' | 'dry_run' | 'dry_run_done' | 'importing' | 'done'>
  next_chunk: Generated<number>
  counts: ColumnType<Record<string, number>, string | undefined, string>
  dry_run: ColumnType<Record<string, number> | null, string | null | undefined, string | null>
  created_at: Timestamp
  /** When the upload's bytes last arrived (src/csv/retention.ts tells a stalled upload by it). */
  progress_at: Timestamp
  finished_at: NullableTimestamp
}

export interface ImportChunksTable {
  import_id: number
  seq: number
  first_line: number
  rows: ColumnType<string[][], string, string>
}

export interface ImportRejectsTable {
  import_id: number
  line: number
  reason: string
  cells: ColumnType<string[], string, string>
}

export interface ImportEmailsTable {
  import_id: number
  email: string
}

export interface AuditEventsTable {
  id: Generated<number>
  account_id: number
  action: string
  customer_id: number | null
  merge_id: number | null
  actor: string
  detail: ColumnType<Record<string, unknown>, string | undefined, string>
  created_at: Timestamp
}

export interface BillingConnectionsTable {
  /** The unguessable id in the webhook URL. */
  id: string
  account_id: number
  project_id: number
  provider: 'stripe' | 'paddle'
  /** As the provider gave it: verifying a signature needs the secret itself. Never shown again.
   *  Null until it is pasted (providers show it after the URL is entered in them). */
  signing_secret: string | null
  /** The provider's product ids whose events the connection applies (src/billing/products.ts);
   *  empty: every product. */
  products: ColumnType<string[], string | undefined, string>
  created_at: Timestamp
}

export interface BillingEventsTable {
  connection_id: string
  event_id: string
  project_id: number
  provider: string
  billing_customer_id: string
  type: string
  occurred_at: ColumnType<Date, string, string>
  received_at: Timestamp
}

/** Per subscription id, per field: the value and the order key of the event that set it. */
export type BillingState = Record<string, Record<string, { v: unknown; at: string }>>

export interface BillingCustomersTable {
  project_id: number
  provider: string
  billing_customer_id: string
  /** The email this billing customer was first seen with; null while it is waiting for one. */
  email: string | null
  /** Its name, as the provider last sent it (it fills a customer's empty name); null: none yet. */
  name: string | null
  subscriptions: ColumnType<BillingState, string | undefined, string>
  /** The time of the newest event seen for this billing customer. */
  latest_at: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface BillingRelationsTable {
  project_id: number
  email: string
  subscriptions: ColumnType<BillingState, string | undefined, string>
  /** The time of the newest billing event seen for this person: what a billing write carries. */
  latest_at: NullableTimestamp
  updated_at: Timestamp
}

/** One change of a relation's status or of one of its params (written by a trigger). */
export interface RelationChangesTable {
  id: Generated<number>
  account_id: number
  customer_id: number
  project_id: number
  field: 'status' | 'param'
  /** The param's key; null for the status. */
  key: string | null
  old_value: unknown
  new_value: unknown
  /** api, segment, import, stripe, paddle, merge or dashboard. */
  source: string
  /** When the change happened: the time the write carried. */
  changed_at: ColumnType<Date, string, string>
  recorded_at: Timestamp
}

/** A Segment messageId a project has applied (src/segment/): each is applied once. */
export interface SegmentMessagesTable {
  project_id: number
  message_id: string
  received_at: Timestamp
}

/** A project's external id (Segment's userId, anonymousId) → the email of its customer. */
export interface SegmentIdsTable {
  project_id: number
  external_id: string
  email: string
  updated_at: Timestamp
}
