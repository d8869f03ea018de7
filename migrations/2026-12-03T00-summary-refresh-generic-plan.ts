// The customer summary refresh (2026-11-30T04) runs on its generic plan from its first call.
// PostgreSQL plans a function's statement for its arguments five times, then keeps the generic
// plan only while it costs no more than the average of those plans so far (plan_cache_mode auto);
// for the refresh, a fresh process (the PGlite server after every start) went on planning it for
// its arguments on every call for its first thousands of calls. Measured on PGlite, the identify
// statement in a fresh process, 3 s at concurrency 1: 242 a second, with 54 relation-size
// reads (`lseek`, the planner's) a call; with this setting 514 a second, 3.9 a call. The generic
// plan finds the customers by key (`c.id = ANY(ids)`, 2026-11-30T04) whatever the statistics say.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER FUNCTION customer_summary_refresh(bigint[])
    SET plan_cache_mode = force_generic_plan`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER FUNCTION customer_summary_refresh(bigint[]) RESET plan_cache_mode`.execute(db)
}
