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

export interface Database {
  accounts: AccountsTable
  users: UsersTable
  projects: ProjectsTable
  api_keys: ApiKeysTable
  customers: CustomersTable
  customer_projects: CustomerProjectsTable
}

export type Project = Selectable<ProjectsTable>
export type Customer = Selectable<CustomersTable>
