// Dashboard sessions kept in the database: the cookie holds a random token, the `sessions` table
// only its SHA-256, so logging out or deleting a user really ends the session everywhere. The
// cookie side is src/middleware/session.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { SessionUser } from '../env.js'

/** Sessions last 30 days from sign-in; signing in again starts a new one. */
export const SESSION_DAYS = 30

/**
 * Stores a new session. In the same statement, the session the browser had before (signing in
 * again must not leave it alive) and the user's expired sessions (so the table does not grow
 * forever) are deleted. After a password check, `passwordHash` is the hash it was checked
 * against: the session is stored only if the user still has it, and the user's row is held
 * (FOR SHARE) until it is, so a password reset landing after the check either waits and then
 * ends this session, or comes first and this stores nothing (see resetPassword). Whether it
 * stored the session.
 */
export async function createSession(
  db: Kysely<Database>,
  input: { userId: number; tokenHash: string; replacesTokenHash?: string; passwordHash?: string },
): Promise<boolean> {
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86_400_000)
  const result = await db
    .with('replaced', (q) =>
      q
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('token_hash', '=', input.replacesTokenHash ?? ''),
            eb.and([eb('user_id', '=', input.userId), eb('expires_at', '<=', new Date())]),
          ]),
        ),
    )
    .insertInto('sessions')
    .columns(['token_hash', 'user_id', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select([
          eb.val(input.tokenHash).as('token_hash'),
          'users.id',
          eb.val(expiresAt).as('expires_at'),
        ])
        .where('users.id', '=', input.userId)
        .$if(input.passwordHash !== undefined, (q) =>
          q.where('users.password_hash', '=', input.passwordHash!),
        )
        .forShare(),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function deleteSession(db: Kysely<Database>, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute()
}

/** The user of an unexpired session, or undefined. One statement. */
export async function findSessionUser(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<SessionUser | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id as userId', 'u.account_id as accountId', 'u.email'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', new Date())
    .executeTakeFirst()
}
