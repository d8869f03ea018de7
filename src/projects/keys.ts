// A project's API keys: only their SHA-256 is stored, and a key is shown in full once, when it is
// made. Rotation revokes every older key in the statement that adds the new one.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { PROJECT_KEY_PREFIX, generateProjectKey, hashKey, keyPrefix } from '../lib/keys.js'

export interface ProjectKey {
  id: number
  prefix: string
  created_at: Date
  revoked_at: Date | null
}

/**
 * Adds a key to a project of the account and returns it in full (the only time it is seen), or
 * undefined when the project is not the account's. With `revokeOthers` (rotation) every older
 * key stops working in the same statement.
 */
export async function addProjectKey(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  opts: { revokeOthers: boolean },
): Promise<string | undefined> {
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  // Locked (FOR KEY SHARE), so that a project deleted meanwhile is not found: read from the
  // statement's snapshot alone, the key was inserted for a project gone by then, and its
  // foreign key failed (a 500; src/projects/deleted-meanwhile.pg.test.ts).
  const owned = db
    .selectFrom('projects')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', projectId)
    .forKeyShare()
  const withInsert = db.with('new_key', (q) =>
    q
      .insertInto('api_keys')
      .columns(['project_id', 'prefix', 'key_hash'])
      .expression(
        owned.select((eb) => [eb.val(keyPrefix(key)).as('prefix'), eb.val(keyHash).as('key_hash')]),
      )
      .returning('id'),
  )
  const inserted = opts.revokeOthers
    ? await withInsert
        .with('revoked', (q) =>
          q
            .updateTable('api_keys')
            .set({ revoked_at: new Date() })
            .where('project_id', 'in', owned)
            .where('revoked_at', 'is', null)
            .returning('id'),
        )
        .selectFrom('new_key')
        .select('id')
        .executeTakeFirst()
    : await withInsert.selectFrom('new_key').select('id').executeTakeFirst()
  return inserted ? key : undefined
}

/** Revokes one key of one of the account's projects; false when there is no such key. */
export async function revokeProjectKey(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  keyId: number,
): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', keyId)
    .where('project_id', 'in', (eb) =>
      eb
        .selectFrom('projects')
        .select('id')
        .where('account_id', '=', accountId)
        .where('id', '=', projectId),
    )
    .executeTakeFirst()
  return res.numUpdatedRows > 0n
}

export async function listKeys(db: Kysely<Database>, projectId: number) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'created_at', 'revoked_at'])
    .where('project_id', '=', projectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Revokes the keys that start with `prefix` (at least the clear part shown in listings). */
export async function revokeKeysByPrefix(db: Kysely<Database>, prefix: string, accountId?: number) {
  if (prefix.length < PROJECT_KEY_PREFIX.length + 4) {
    throw new ApiError(
      'validation_failed',
      'Give at least the key prefix shown in listings (tcrm_proj_ + 4 or more characters)',
    )
  }
  const cleartext = prefix.slice(0, keyPrefix(prefix).length)
  let q = db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('revoked_at', 'is', null)
    .where('prefix', 'like', `${cleartext.replace(/[\\%_]/g, '\\$&')}%`)
  if (accountId !== undefined) {
    q = q.where('project_id', 'in', (eb) =>
      eb.selectFrom('projects').select('id').where('account_id', '=', accountId),
    )
  }
  const rows = await q.returning(['id', 'prefix', 'project_id']).execute()
  return rows
}
