// Counts about a project, as subqueries: its lists (./store.ts) and its deletion page (./delete.ts)
// show them beside the project's own columns, in the same statement.
import type { ExpressionBuilder } from 'kysely'
import type { Database } from '../db/schema.js'

/** A project row `p` of the query the count goes in. */
type ProjectRow = ExpressionBuilder<Database & { p: Database['projects'] }, 'p'>
export const activeKeys = (eb: ProjectRow) =>
  eb
    .selectFrom('api_keys as k')
    .whereRef('k.project_id', '=', 'p.id')
    .where('k.revoked_at', 'is', null)
    .select((e) => e.fn.countAll<number>().as('n'))
    .as('active_keys')
export const customerCount = (eb: ProjectRow) =>
  eb
    .selectFrom('customer_projects as r')
    .whereRef('r.project_id', '=', 'p.id')
    .select((e) => e.fn.countAll<number>().as('n'))
    .as('customers')
