// The one description of the database that every query is typed against (see migrations/).
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Status } from '../lib/status.js'

/** A timestamptz with a database default: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>

export interface AccountsTable {
  id: Generated<number>
  name: string
  created_at: Timestamp
  /** True on the one account a closed sign-up let in (unique), else null. */
  first_signup: Generated<boolean | null>
  /** When the ready views were added (src/saved-views/): once, when the account's second
   *  project is created. */
  ready_views_added_at: NullableTimestamp
}

export interface UsersTable {
  id: Generated<number>
  account_id: number
  email: string
  password_hash: string
  created_at: Timestamp
}

export interface ProjectsTable {
  id: Generated<number>
  account_id: number
  name: string
  slug: string
  color: Generated<string>
  created_at: Timestamp
}

export interface ApiKeysTable {
  id: Generated<number>
  project_id: number
  prefix: string
  key_hash: string
  created_at: Timestamp
  revoked_at: NullableTimestamp
}

export interface CustomersTable {
  id: Generated<number>
  account_id: number
  email: string
  name: string | null
  created_at: Timestamp
  last_activity_at: Timestamp
  updated_at: Timestamp
  /** Set on a customer merged into another (src/merges/store.ts): the row stays as a tombstone
   *  that routes its email to the survivor. Every read of customers skips these rows. */
  merged_into: ColumnType<number | null, number | null | undefined, number | null>
}

export interface CustomerProjectsTable {
  customer_id: number
  project_id: number
  account_id: number
  status: Generated<Status>
  params: ColumnType<Record<string, unknown>, string | undefined, string>
  /** When the status was set (newest wins); null while no write has set it. */
  status_at: NullableTimestamp
  /** Per param key, the time (epoch seconds) of the write that set or removed it. */
  params_at: ColumnType<Record<string, number>, string | undefined, string>
  /** Who made the latest write: api, segment, import, stripe, paddle, merge or dashboard. */
  source: ColumnType<string, string | undefined, string>
  first_seen_at: Timestamp
  last_activity_at: Timestamp
  updated_at: Timestamp
}

export interface SessionsTable {
  id: Generated<number>
  /** SHA-256 (hex) of the random token in the session cookie. */
  token_hash: string
  user_id: number
  created_at: Timestamp
  expires_at: ColumnType<Date, Date | string, Date | string>
}

export interface LoginFailuresTable {
  email: string
  failures: Generated<number>
  last_failed_at: Timestamp
  locked_until: NullableTimestamp
}

export interface MergesTable {
  id: Generated<number>
  account_id: number
  survivor_id: number
  absorbed_id: number
  absorbed_email: string
  snapshot: ColumnType<MergeSnapshot, string, string>
  /** Who merged: `user:<id>` or `token:<id>`. */
  actor: string
  created_at: Timestamp
  undone_at: NullableTimestamp
}

/** Both customers as they were before a merge (rows as `to_jsonb` writes them), and a digest of
 *  the survivor right after it: undo refuses once the survivor no longer matches it. */
export interface MergeSnapshot {
  survivor: Record<string, unknown>
  absorbed: Record<string, unknown>
  survivor_projects: Record<string, unknown>[]
  absorbed_projects: Record<string, unknown>[]
  /** The customers merged into the absorbed one earlier (tombstones; emails are what count). */
  absorbed_aliases: Record<string, unknown>[]
  after?: string
}

export interface AccountTokensTable {
  id: Generated<number>
  account_id: number
  name: string
  prefix: string
  /** SHA-256 (hex) of the token. */
  token_hash: string
  created_at: Timestamp
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface ImportsTable {
  id: Generated<number>
  account_id: number
  project_id: number
  filename: string
  header: ColumnType<string[], string, string>
  total_rows: Generated<number>
  chunks: Generated<number>
  mapping: ColumnType<unknown, string | null | undefined, string | null>
  state: Generated<'uploaded' | 'dry_run' | 'dry_run_done' | 'importing' | 'done'>
  next_chunk: Generated<number>
  counts: ColumnType<Record<string, number>, string | undefined, string>
  dry_run: ColumnType<Record<string, number> | null, string | null | undefined, string | null>
  created_at: Timestamp
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

/** A named customers filter: its URL query (`in=app-a:paid&sort=email`), in rail order. */
export interface SavedViewsTable {
  id: Generated<number>
  account_id: number
  name: string
  query: string
  position: number
  created_at: Timestamp
  updated_at: Timestamp
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

export interface InvitesTable {
  id: Generated<number>
  account_id: number
  /** SHA-256 (hex) of the token in the invite link. */
  token_hash: string
  created_by: number | null
  created_at: Timestamp
  expires_at: ColumnType<Date, Date | string, Date | string>
  accepted_at: NullableTimestamp
  accepted_by: number | null
}

export interface Database {
  accounts: AccountsTable
  users: UsersTable
  projects: ProjectsTable
  api_keys: ApiKeysTable
  customers: CustomersTable
  customer_projects: CustomerProjectsTable
  sessions: SessionsTable
  login_failures: LoginFailuresTable
  merges: MergesTable
  account_tokens: AccountTokensTable
  imports: ImportsTable
  import_chunks: ImportChunksTable
  import_rejects: ImportRejectsTable
  import_emails: ImportEmailsTable
  audit_events: AuditEventsTable
  billing_connections: BillingConnectionsTable
  billing_events: BillingEventsTable
  billing_customers: BillingCustomersTable
  billing_relations: BillingRelationsTable
  relation_changes: RelationChangesTable
  saved_views: SavedViewsTable
  segment_messages: SegmentMessagesTable
  segment_ids: SegmentIdsTable
  invites: InvitesTable
}

export type Project = Selectable<ProjectsTable>
export type Customer = Selectable<CustomersTable>
