// Looking up a merge of the account (the merge statements themselves are ./store.ts).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** The account's merge with that id (its survivor, whose page the undo returns to, and the email
 *  it absorbed, which the undo gives back), or undefined. */
export async function findMerge(db: Kysely<Database>, accountId: number, mergeId: number) {
  return db
    .selectFrom('merges')
    .select(['id', 'survivor_id', 'absorbed_email'])
    .where('id', '=', mergeId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}
