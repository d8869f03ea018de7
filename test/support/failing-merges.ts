// A failure injected into a merge after its statement has written everything (the merge record,
// the combined and moved relations, the tombstone, the survivor, the audit event): a trigger that
// raises once the audit event is in, at the end of that statement. Tests of atomicity add it, run
// a merge, and remove it; the app has no hook of its own for it.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

export const INJECTED = 'injected failure after the merge wrote'

/** Makes every merge on `db` fail after its writes until the returned function is called. */
export async function failingMerges(db: Kysely<Database>): Promise<() => Promise<void>> {
  await sql`CREATE FUNCTION test_fail_merge() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '${sql.raw(INJECTED)}'; END $$`.execute(db)
  await sql`CREATE TRIGGER test_fail_merge AFTER INSERT ON audit_events FOR EACH ROW
    WHEN (NEW.action = 'customer.merged') EXECUTE FUNCTION test_fail_merge()`.execute(db)
  return async () => {
    await sql`DROP TRIGGER test_fail_merge ON audit_events`.execute(db)
    await sql`DROP FUNCTION test_fail_merge()`.execute(db)
  }
}
