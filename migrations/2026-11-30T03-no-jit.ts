// No JIT compilation for this database's sessions. PostgreSQL compiles a statement whose plan's
// estimated cost passes jit_above_cost, and the customers page's summary of a large segment does:
// measured at 550,000 customers (PostgreSQL 15 with LLVM), its statement took 1.2–2.1 s with JIT
// and 52–94 ms without, the compiling being nearly all of it. TinyCRM's statements are short and
// many; none gains from compiling.
// The setting is the database's, so it holds for every session however it connects (a pool,
// Neon's HTTP queries, psql), and for this one at once. Setting it needs the database's owner
// (the role that created it, as on Neon): another role gets a notice and the server's default.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await setJit(db, 'SET jit = off')
  await sql`SET jit = off`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await setJit(db, 'RESET jit')
  await sql`RESET jit`.execute(db)
}

async function setJit(db: Kysely<any>, action: 'SET jit = off' | 'RESET jit') {
  await sql`DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I ${sql.raw(action)}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'jit: only the database owner can change its default (%)', SQLERRM;
END $$`.execute(db)
}
