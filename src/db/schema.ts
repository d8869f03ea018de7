// The one description of the database that every query is typed against (see migrations/).
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Status } from '../lib/status.js'
import type {
  AuditEventsTable,
  BillingConnectionsTable,
  BillingCustomersTable,
  BillingEventsTable,
  BillingRelationsTable,
  ImportChunksTable,
  ImportEmailsTable,
  ImportRejectsTable,
  ImportsTable,
  RelationChangesTable,
  SegmentIdsTable,
  SegmentMessagesTable,
} from './schema-feeds.js'

export type { BillingState } from './schema-feeds.js'

/** A timestamptz with a database default: optional on insert. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
export type NullableTimestamp = ColumnType<
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
  /** What the customer's relations are, kept by triggers on customer_projects (migration
   *  2026-11-30T00): project_id * 8 per project, project_id * 8 + rank per project and status,
   *  -rank per status (rank: 1 paid, 2 trial, 3 free, 4 churned). Read by the filters. */
  relation_keys: ColumnType<string[], never, never>
  /** How many project relations the customer has (trigger-kept). */
  project_count: ColumnType<number, never, never>
  /** The rank of the customer's best status over its projects; null without any (trigger-kept). */
  best_rank: ColumnType<number | null, never, never>
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
  /** The user who made it in the dashboard (null: made by the CLI, before this was recorded, or
   *  the user is gone); created_by_email is their email then, kept after they are removed. */
  created_by: number | null
  created_by_email: string | null
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
