// The first schema: accounts and their users, projects with hashed API keys, and customers merged
// by email with one customer_projects row per (customer, project). Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('users')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('users_account_idx').on('users').column('account_id').execute()

  await db.schema
    .createTable('projects')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull().defaultTo('#4f46e5'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('projects_account_slug_key', ['account_id', 'slug'])
    .execute()

  // Only the SHA-256 of a key is stored; `prefix` (the first characters) lets people tell keys apart.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('api_keys_project_idx').on('api_keys').column('project_id').execute()
  await db.schema.createIndex('api_keys_prefix_idx').on('api_keys').column('prefix').execute()

  await db.schema
    .createTable('customers')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('customers_account_email_key', ['account_id', 'email'])
    .execute()
  await sql`CREATE INDEX customers_account_activity_idx
    ON customers (account_id, last_activity_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX customers_account_created_idx
    ON customers (account_id, created_at, id)`.execute(db)

  await db.schema
    .createTable('customer_projects')
    .addColumn('customer_id', 'bigint', (c) =>
      c.notNull().references('customers.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('free')
        .check(sql`status IN ('free', 'trial', 'paid', 'churned')`),
    )
    .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('customer_projects_pkey', ['customer_id', 'project_id'])
    .addCheckConstraint('customer_projects_params_object', sql`jsonb_typeof(params) = 'object'`)
    .execute()
  await sql`CREATE INDEX customer_projects_params_idx
    ON customer_projects USING gin (params jsonb_path_ops)`.execute(db)
  await sql`CREATE INDEX customer_projects_project_status_idx
    ON customer_projects (project_id, status)`.execute(db)
  await sql`CREATE INDEX customer_projects_project_activity_idx
    ON customer_projects (project_id, last_activity_at DESC)`.execute(db)
  await sql`CREATE INDEX customer_projects_project_first_seen_idx
    ON customer_projects (project_id, first_seen_at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'customer_projects',
    'customers',
    'api_keys',
    'projects',
    'users',
    'accounts',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
