// The customers queries through the production driver (Neon's HTTP protocol, served locally over
// the same PGlite): the same rows, types and cursors as the embedded path, so the Worker's pages
// match the Node server's.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { createApp } from '../app.js'
import { openNeonDb } from '../db/neon.js'
import type { Database } from '../db/schema.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { useTestDb } from '../../test/support/db.js'
import { parseCustomerFilter } from './filter.js'
import {
  QUESTIONS,
  seedQuestions,
  type QuestionsFixture,
} from '../../test/support/customers-fixture.js'
import { getCustomer } from './customer.js'
import { customersPage } from './query.js'

const t = useTestDb()
let endpoint: NeonHttpEndpoint
let neonDb: Kysely<Database>
let fx: QuestionsFixture

beforeAll(async () => {
  fx = await seedQuestions(createApp({ db: t.db }), t.db)
  endpoint = await startNeonHttpEndpoint({ pglite: t.pglite })
  neonDb = openNeonDb('postgres://tinycrm:dev@localhost/tinycrm', { fetchEndpoint: endpoint.url })
})
afterAll(async () => {
  await endpoint?.close()
})

const filter = (q: string) => parseCustomerFilter(new URLSearchParams(q))

// A range in a param: its rows statement walks the customers first (rowsQuery).
const between = QUESTIONS.find((q) => q.query.includes(':between:'))!.query

it.each(['', 'sort=email&limit=3', 'p=plan:eq:pro&sum=mrr', QUESTIONS[6]!.query, between])(
  'customersPage(%s) is the same over Neon HTTP as on PGlite',
  async (q) => {
    const viaNeon = await customersPage(neonDb, fx.accountId, filter(q))
    const direct = await customersPage(t.db, fx.accountId, filter(q))
    expect(viaNeon).toEqual(direct)
    expect(typeof viaNeon.summary.count).toBe('number')
    expect(viaNeon.rows[0]!.lastActivityAt).toBeInstanceOf(Date)
    expect(typeof viaNeon.rows[0]!.id).toBe('number')
  },
)

it('pages with a cursor made on one driver and read on the other', async () => {
  const first = await customersPage(t.db, fx.accountId, filter('sort=-last_activity&limit=4'))
  const q = `sort=-last_activity&limit=4&after=${first.next}`
  const viaNeon = await customersPage(neonDb, fx.accountId, filter(q))
  expect(viaNeon.rows.map((r) => r.email)).toEqual(
    (await customersPage(t.db, fx.accountId, filter(q))).rows.map((r) => r.email),
  )
  expect(viaNeon.rows).toHaveLength(4)
})

it('getCustomer is the same over Neon HTTP', async () => {
  const viaNeon = await getCustomer(neonDb, fx.accountId, fx.ids.fay!)
  expect(viaNeon).toEqual(await getCustomer(t.db, fx.accountId, fx.ids.fay!))
  expect(viaNeon!.relations).toHaveLength(3)
})
