// Accounts and their users (the dashboard login): plain functions over the db, shared by the CLI
// and the dashboard. Projects and their keys are src/projects/.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { hashPassword } from '../lib/password.js'

export const MIN_PASSWORD_LENGTH = 8

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

export async function createAccount(
  db: Kysely<Database>,
  input: { email: string; password: string; name?: string },
): Promise<{ accountId: number; userId: number }> {
  const email = normaliseEmail(input.email)
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ApiError('validation_failed', 'email is not a valid email address', [
      { path: 'email', message: 'not a valid email address' },
    ])
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new ApiError(
      'validation_failed',
      `password must be at least ${MIN_PASSWORD_LENGTH} characters`,
      [{ path: 'password', message: `at least ${MIN_PASSWORD_LENGTH} characters` }],
    )
  }
  const passwordHash = await hashPassword(input.password)
  // One statement: the account and its first user exist together or not at all. A data-modifying
  // CTE runs even when the outer insert conflicts, hence the guard against an orphan account.
  const row = await db
    .with('account', (q) =>
      q
        .insertInto('accounts')
        .columns(['name'])
        .expression(
          q
            .selectNoFrom((eb) => eb.val(input.name ?? email).as('name'))
            .where((eb) =>
              eb.not(eb.exists(q.selectFrom('users').select('id').where('email', '=', email))),
            ),
        )
        .returning('id'),
    )
    .insertInto('users')
    .columns(['account_id', 'email', 'password_hash'])
    .expression((eb) =>
      eb
        .selectFrom('account')
        .select([
          'account.id',
          eb.val(email).as('email'),
          eb.val(passwordHash).as('password_hash'),
        ]),
    )
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'account_id'])
    .executeTakeFirst()
  if (!row) {
    throw new ApiError('validation_failed', `An account with the email ${email} already exists`, [
      { path: 'email', message: 'already registered' },
    ])
  }
  return { accountId: row.account_id, userId: row.id }
}

export async function findAccountIdByUserEmail(db: Kysely<Database>, email: string) {
  const row = await db
    .selectFrom('users')
    .select('account_id')
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst()
  return row?.account_id
}
