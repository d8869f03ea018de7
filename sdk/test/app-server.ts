// The real TinyCRM app for the SDK's tests: createApp over a fresh migrated PGlite, served on a
// free port, with one account and a key per product, and the queries that read back what the
// dashboard would show.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { sql } from 'kysely'
import { createApp } from '../../src/app.js'
import { openTestDb } from '../../test/support/db.js'
import { createProject } from '../../src/projects/store.js'

let accounts = 0

export type AppServer = Awaited<ReturnType<typeof startAppServer>>

export async function startAppServer(products = ['Product A', 'Product B', 'Product C']) {
  const t = await openTestDb()
  const app = createApp({ db: t.db })
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    db: t.db,
    /** A fresh account with one project (and its key) per product name. */
    async seed(names = products) {
      // The account row alone: the SDK needs projects and keys, not users or passwords.
      const { id: accountId } = await t.db
        .insertInto('accounts')
        .values({ name: `sdk-test-${++accounts}` })
        .returning('id')
        .executeTakeFirstOrThrow()
      const keys: string[] = []
      for (const name of names) keys.push((await createProject(t.db, { accountId, name })).key)

      /** The customers table of this account: one row per customer, a badge per project. */
      async function rows() {
        const customers = await t.db
          .selectFrom('customers')
          .select(['id', 'email', 'name'])
          .where('account_id', '=', accountId)
          .orderBy('id')
          .execute()
        return Promise.all(customers.map(async (c) => ({ ...c, badges: await badges(c.email) })))
      }

      /** One customer's per-project status and params, by project name. */
      async function badges(email: string) {
        return t.db
          .selectFrom('customer_projects as r')
          .innerJoin('customers as c', 'c.id', 'r.customer_id')
          .innerJoin('projects as p', 'p.id', 'r.project_id')
          .select(['p.name as project', 'r.status', 'r.params', 'r.last_activity_at'])
          .where('c.account_id', '=', accountId)
          .where('c.email', '=', email)
          .orderBy('p.name')
          .execute()
      }

      /** The dashboard's params filter: relations of this account whose params contain `match`. */
      async function withParams(match: Record<string, unknown>) {
        return t.db
          .selectFrom('customer_projects as r')
          .innerJoin('customers as c', 'c.id', 'r.customer_id')
          .select(['c.email', 'r.params'])
          .where('r.account_id', '=', accountId)
          .where(sql<boolean>`r.params @> ${JSON.stringify(match)}::jsonb`)
          .orderBy('c.email')
          .execute()
      }

      return { keys, accountId, rows, badges, withParams }
    },
    async close() {
      await new Promise((resolve) => server.close(resolve))
      await t.close()
    },
  }
}
