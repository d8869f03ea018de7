// How the CLI finds what a command names: an account by a user's email, a project by id or slug.
// The dashboard always knows its account (the session); the CLI is an operator's tool over the
// whole database, so it may look across accounts, which is why these few queries live here.
import { sql, type Kysely } from 'kysely'
import { findAccountIdByUserEmail, normaliseEmail } from '../accounts/store.js'
import { findProject } from '../projects/store.js'
import type { Database, Project } from '../db/schema.js'
import { CliError, str, type Values } from './command.js'

export async function requireAccount(db: Kysely<Database>, email: string): Promise<number> {
  const accountId = await findAccountIdByUserEmail(db, email)
  if (accountId === undefined) {
    throw new CliError(`No account with the email ${normaliseEmail(email)} (see: account list)`)
  }
  return accountId
}

/**
 * `--project 3` (an id) or `--project app-a` (a slug). A slug is unique within an account only, so
 * without `--account` it must name exactly one project in the whole database.
 */
export async function requireProject(db: Kysely<Database>, values: Values): Promise<Project> {
  const ref = str(values, 'project')!.trim()
  const email = str(values, 'account')
  if (email !== undefined) {
    const project = await findProject(db, await requireAccount(db, email), ref)
    if (!project)
      throw new CliError(`No project '${ref}' in the account of ${normaliseEmail(email)}`)
    return project
  }
  const isId = /^\d{1,15}$/.test(ref)
  const rows = await db
    .selectFrom('projects')
    .selectAll()
    .where((eb) => (isId ? eb('id', '=', Number(ref)) : eb('slug', '=', ref)))
    .limit(2)
    .execute()
  if (rows.length === 0) {
    throw new CliError(`No project '${ref}' (see: project list)`)
  }
  if (rows.length > 1) {
    throw new CliError(
      `Several accounts have a project '${ref}': add --account EMAIL, or use the project id`,
    )
  }
  return rows[0]!
}

/** Every account with its users' emails and how many projects it has. */
export async function listAccounts(db: Kysely<Database>) {
  return db
    .selectFrom('accounts as a')
    .select((eb) => [
      'a.id',
      'a.name',
      'a.created_at',
      eb
        .selectFrom('users as u')
        .whereRef('u.account_id', '=', 'a.id')
        .select(sql<string>`string_agg(u.email, ', ' ORDER BY u.id)`.as('emails'))
        .as('emails'),
      eb
        .selectFrom('projects as p')
        .whereRef('p.account_id', '=', 'a.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('projects'),
    ])
    .orderBy('a.id')
    .execute()
}

/** Which projects (id, slug, name) some ids belong to, to name them in messages. */
export async function projectNames(db: Kysely<Database>, ids: number[]) {
  if (ids.length === 0) return new Map<number, { slug: string; name: string }>()
  const rows = await db
    .selectFrom('projects')
    .select(['id', 'slug', 'name'])
    .where('id', 'in', ids)
    .execute()
  return new Map(rows.map((r) => [r.id, r]))
}
