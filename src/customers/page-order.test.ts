// The table's order by name, as a founder reads a list: capitals and small letters together, the
// same on every database, and customers without a name after those with one; paged forwards and
// backwards without losing or repeating anyone.
import { beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { ingestForProject } from '../ingest/upsert.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { parseCustomerFilter } from './filter.js'
import { sortSpec } from './page-order.js'
import { listCustomers } from './query.js'

const t = useTestDb()
let accountId: number

const NAMES: [string, string | null][] = [
  ['zoe', 'Zoe'],
  ['alex', 'alex'],
  ['bob', 'Bob'],
  ['nobody1', null],
  ['emile', 'Émile'],
  ['alexa', 'Alexa'],
  ['blank', '  '],
  ['nobody2', null],
  ['ann', 'ANN'],
]

beforeAll(async () => {
  const seeded = await seedAccount(t.db, ['App A'])
  accountId = seeded.accountId
  const project = seeded.projects[0]!.project.id
  for (const [local, name] of NAMES) {
    await ingestForProject(t.db, project, [
      { type: 'identify', email: `${local}@example.com`, ...(name ? { name } : {}) } as never,
    ])
  }
})

const local = (email: string) => email.split('@')[0]!

async function pages(sort: string, limit: number) {
  const read = async (params: Record<string, string>) =>
    listCustomers(t.db, accountId, parseCustomerFilter(new URLSearchParams({ sort, ...params })))
  const forwards: string[] = []
  let page = await read({ limit: String(limit) })
  forwards.push(...page.rows.map((r) => local(r.email)))
  while (page.next) {
    page = await read({ limit: String(limit), after: page.next })
    forwards.push(...page.rows.map((r) => local(r.email)))
  }
  const backwards: string[] = [...page.rows.map((r) => local(r.email))]
  while (page.prev) {
    page = await read({ limit: String(limit), before: page.prev })
    backwards.unshift(...page.rows.map((r) => local(r.email)))
  }
  return { forwards, backwards }
}

describe('sort=name', () => {
  it('ignores case and accents, and puts the nameless last', async () => {
    const names = await pages('name', 100)
    // "  " is stored as no name; the nameless by their ids, in the order they came.
    expect(names.forwards).toEqual([
      'alex',
      'alexa',
      'ann',
      'bob',
      'emile',
      'zoe',
      'nobody1',
      'blank',
      'nobody2',
    ])
    expect((await pages('-name', 100)).forwards).toEqual([...names.forwards].reverse())
  })

  it('pages forwards and back, 2 at a time, to the same order', async () => {
    const whole = (await pages('name', 100)).forwards
    for (const sort of ['name', '-name']) {
      const all = sort === 'name' ? whole : [...whole].reverse()
      expect(await pages(sort, 2)).toEqual({ forwards: all, backwards: all })
    }
  })

  it('is what the index serves (no sort of the whole account)', async () => {
    const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT id FROM customers c
      WHERE c.account_id = ${accountId}
      ORDER BY ${sortSpec('name').expr}, c.id LIMIT 50`.execute(t.db)
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
    expect(plan).toContain('customers_account_name_order_idx')
  })
})
