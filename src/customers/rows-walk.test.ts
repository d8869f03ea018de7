// A filter that compares inside a param (a range, a text match) has its page found by walking the
// next customers in the page's order first (rowsQuery's `walk`), and by the planner's own plan
// only when the walk does not find a whole page. Either way the pages are the same: forwards and
// backwards, in every order, whether the walk finds the page, part of it, or none of it. A search
// (q=) collects its hits first: its pages are the same whether they were all it found or not.
import { beforeAll, describe, expect, it } from 'vitest'
import { ingestForProject } from '../ingest/upsert.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { parseCustomerFilter } from './filter.js'
import { listCustomers, rowsQuery, type CustomerPage } from './query.js'

const t = useTestDb()
let accountId: number

// 30 customers, the newest activity last; pairs share a time (the id breaks the tie). Each uses
// App A with n = its number; the even ones App B too, with a date.
beforeAll(async () => {
  const seeded = await seedAccount(t.db, ['App A', 'App B'])
  accountId = seeded.accountId
  const [a, b] = seeded.projects.map((p) => p.project.id) as [number, number]
  for (let i = 0; i < 30; i++) {
    const at = new Date(Date.UTC(2026, 5, 1) + Math.floor(i / 2) * 3_600_000)
    const person = {
      type: 'identify',
      email: `c${String(i).padStart(2, '0')}@example.com`,
      name: `Person ${String((i * 7) % 30).padStart(2, '0')}`,
    }
    const tier = i % 3 === 0 ? 'gold' : 'basic'
    await ingestForProject(t.db, a, [{ ...person, params: { n: i, tier } } as never], at)
    if (i % 2 === 0) {
      const since = `2026-0${1 + (i % 9)}-15`
      await ingestForProject(t.db, b, [{ ...person, params: { since } } as never], at)
    }
  }
})

const filter = (query: string) => parseCustomerFilter(new URLSearchParams(query))

/** Every page of the filter, following next links, then back from the last page by prev links:
 *  the emails in order, forwards, and backwards put in order. */
async function allPages(query: string, walk: number, searchCap?: number) {
  const read = (q: string) =>
    listCustomers(t.db, accountId, filter(q), undefined, { walk, searchCap })
  const emailsOf = (page: CustomerPage) => page.rows.map((r) => r.email)
  // Follows one kind of link from `page` to the end: the pages it reached, the last of them.
  const follow = async (page: CustomerPage, link: 'next' | 'prev') => {
    const reached: string[][] = []
    for (let cursor = page[link]; cursor; cursor = page[link]) {
      if (reached.length > 30) throw new Error(`${query}: more pages than customers`)
      const q = new URLSearchParams(query)
      q.set(link === 'next' ? 'after' : 'before', cursor)
      page = await read(q.toString())
      reached.push(emailsOf(page))
    }
    return { reached, last: page }
  }
  const first = await read(query)
  const ahead = await follow(first, 'next')
  const back = await follow(ahead.last, 'prev')
  return {
    forwards: [emailsOf(first), ...ahead.reached],
    backwards: [...back.reached.reverse(), emailsOf(ahead.last)],
  }
}

const emails = (...ns: number[]) => ns.map((i) => `c${String(i).padStart(2, '0')}@example.com`)

describe('the rows of a filter that compares inside a param', () => {
  it('are the segment in order, whether or not the walk finds the page', async () => {
    // n >= 20: the ten newest. Walking 3 customers finds only part of the first page of 4.
    for (const walk of [0, 3, 12, 5_000]) {
      const { forwards } = await allPages('p=app-a.n:gte:20&limit=4', walk)
      expect(forwards, `walk ${walk}`).toEqual([
        emails(29, 28, 27, 26),
        emails(25, 24, 23, 22),
        emails(21, 20),
      ])
    }
    // n < 4: the four oldest, beyond any short walk from the newest.
    const oldest = await allPages('p=app-a.n:lt:4&limit=3', 5)
    expect(oldest.forwards).toEqual([emails(3, 2, 1), emails(0)])
  })

  it('page the same forwards and backwards, in every order, as without the walk', async () => {
    const queries = [
      'p=tier:contains:gol',
      'p=app-b.since:between:2026-02-01,2026-06-30',
      'p=app-a.n:gte:5&in=app-b',
      'p=tier:contains:basic&not_in=app-b',
      'p=since:lt:2026-05-01&inactive=30@app-a',
      'p=n:gt:3&p=tier:ne:gold',
      'p=n:lte:25&p=since:missing&q=c1',
    ]
    const sorts = [
      '',
      'sort=name',
      'sort=-name',
      'sort=email',
      'sort=first_seen',
      'sort=-last_activity',
    ]
    for (const q of queries) {
      for (const sort of sorts) {
        const query = [q, sort, 'limit=4'].filter(Boolean).join('&')
        const plain = await allPages(query, 0)
        expect(plain.forwards.flat().length, query).toBeGreaterThan(0)
        expect(plain.backwards, query).toEqual(plain.forwards)
        for (const walk of [2, 7, 5_000]) {
          const walked = await allPages(query, walk)
          expect(walked, `${query}, walk ${walk}`).toEqual(plain)
        }
      }
    }
  })

  it('leave the planner alone where it has statistics to plan with', () => {
    const walks = (query: string) => rowsQuery(accountId, filter(query)).compile(t.db).sql
    for (const query of ['in=app-a:paid&min_projects=2', 'p=tier:eq:gold', 'inactive=30@app-b']) {
      expect(walks(query), query).not.toContain('walked')
    }
    for (const query of ['p=n:gte:3', 'p=tier:contains:old', 'p=since:eq:2026-03-15']) {
      expect(walks(query), query).toContain('walked')
    }
  })
})

describe('the rows of two or more conditions on projects and statuses', () => {
  it('page the same as one condition that finds the same customers, whether or not the walk finds the page', async () => {
    // Every customer uses App A (free: no status sent); the even ones App B too.
    const same: [string, string][] = [
      ['in=app-a&in=app-b', 'in=app-b'],
      ['in=app-a:free&in=app-b', 'in=app-b'],
      ['status=free&in=app-b', 'in=app-b'],
      ['in=app-a&not_in=app-b', 'not_in=app-b'],
      ['in=app-a&not_status=paid&not_in=app-b', 'not_in=app-b'],
    ]
    for (const [together, alone] of same) {
      for (const sort of ['', 'sort=name', 'sort=-email', 'sort=first_seen']) {
        const query = (q: string) => [q, sort, 'limit=4'].filter(Boolean).join('&')
        const expected = await allPages(query(alone), 5_000)
        expect(expected.forwards.flat().length, alone).toBe(15)
        expect(expected.backwards, alone).toEqual(expected.forwards)
        for (const walk of [0, 2, 7, 5_000]) {
          const found = await allPages(query(together), walk)
          expect(found, `${query(together)}, walk ${walk}`).toEqual(expected)
        }
      }
    }
  })

  it('are none, at once, for a pair no customer has', async () => {
    for (const walk of [0, 3, 5_000]) {
      const { forwards } = await allPages('in=app-a:paid&in=app-b', walk)
      expect(forwards, `walk ${walk}`).toEqual([[]])
    }
  })

  it('walk first only with two or more such conditions and nothing read from the relations', () => {
    const walks = (query: string) => rowsQuery(accountId, filter(query)).compile(t.db).sql
    for (const query of ['in=app-a&in=app-b:free', 'status=trial&not_in=app-b', 'in=a&in=b&q=c1']) {
      expect(walks(query), query).toContain('walked')
    }
    for (const query of [
      'in=app-a',
      'in=app-a:paid&min_projects=2',
      'in=app-a&inactive=30@app-b',
      // Statuses anywhere that come down to a best status: one B-tree condition.
      'status=free&not_status=paid,trial',
    ]) {
      expect(walks(query), query).not.toContain('walked')
    }
  })
})

describe('the rows of a search (q=)', () => {
  it("page the same from the search's own hits as by the planner's plan", async () => {
    // Found among at most searchCap hits (2, 9, 5,000) or not (0, or more hits than 2 or 9).
    const queries = [
      'q=c1',
      'q=c2&in=app-b',
      'q=person%201',
      'q=example&not_in=app-b',
      'q=c0&p=tier:contains:bas',
      'q=person&p=app-a.n:gte:12',
    ]
    for (const q of queries) {
      for (const sort of ['', 'sort=name', 'sort=-email', 'sort=first_seen']) {
        const query = [q, sort, 'limit=3'].filter(Boolean).join('&')
        const plain = await allPages(query, 0, 0)
        expect(plain.forwards.flat().length, query).toBeGreaterThan(0)
        expect(plain.backwards, query).toEqual(plain.forwards)
        for (const searchCap of [2, 9, 5_000]) {
          const searched = await allPages(query, 5_000, searchCap)
          expect(searched, `${query}, cap ${searchCap}`).toEqual(plain)
        }
      }
    }
  })

  it('reads its hits first only when it has a search term', () => {
    const compiled = (query: string) => rowsQuery(accountId, filter(query)).compile(t.db).sql
    expect(compiled('q=c1')).toContain('hits')
    expect(compiled('q=c1&p=n:gte:3')).toContain('walked')
    expect(compiled('in=app-a')).not.toContain('hits')
  })
})
