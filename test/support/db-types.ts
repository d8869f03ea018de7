// What the db factory must give back on every driver (src/db/types*.test.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

/** One row of every shape the app reads: a count, a jsonb column's type, json and jsonb aggregates. */
export async function readTypes(db: Kysely<Database>) {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT count(*) AS n, '{"a":[1,"x"]}'::jsonb AS jb, '{"a":1}'::json AS j,
      json_agg(json_build_object('id', x, 'p', '{"k":true}'::jsonb)) AS agg,
      jsonb_agg(x) AS jagg
    FROM generate_series(1, 2) x`.execute(db)
  return rows[0]
}

export const EXPECTED = {
  n: 2,
  jb: { a: [1, 'x'] },
  j: { a: 1 },
  agg: [
    { id: 1, p: { k: true } },
    { id: 2, p: { k: true } },
  ],
  jagg: [1, 2],
}
