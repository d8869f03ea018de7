// The one description of the database that every query is typed against (see migrations/).
import type { ColumnType, Generated, Selectable } from 'kysely'

/** A timestamptz with a database default: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export const STATUSES = ['free', 'trial', 'paid', 'churned'] as const
export type Status = (typeof STATUSES)[number]

export interface AccountsTable {
  id: Generated<number>
  name: string
  created_at: Timestamp
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
}

export interface CustomerProjectsTable {
  customer_id: number
  project_id: number
  account_id: number
  status: Generated<Status>
  params: ColumnType<Record<string, unknown>, string | undefined, string>
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

export interface Database {
  accounts: AccountsTable
  users: UsersTable
  projects: ProjectsTable
  api_keys: ApiKeysTable
  customers: CustomersTable
  customer_projects: CustomerProjectsTable
  sessions: SessionsTable
  login_failures: LoginFailuresTable
}

export type Project = Selectable<ProjectsTable>
export type Customer = Selectable<CustomersTable>
