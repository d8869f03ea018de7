// A test account whose right answers are known for each of the README's 14 questions: eight
// customers over three projects, sent through the real ingest API (backfilled timestamps), plus a
// second account that shares an email, to prove it never shows. Used by the query, route and
// browser tests.
import type { Kysely } from 'kysely'
import { beforeAll } from 'vitest'
import type { Database } from '../../src/db/schema.js'
import type { TestApp } from './db.js'
import { postJson, seedAccount } from './fixtures.js'
import { SESSION_COOKIE } from '../../src/middleware/session/index.js'
import { hashKey, randomBase62 } from '../../src/lib/keys.js'

type Fetcher = Parameters<typeof postJson>[0]

const DAY = 86_400_000

export interface QuestionsFixture {
  accountId: number
  userId: number
  email: string
  password: string
  keys: { a: string; b: string; c: string }
  /** Customer ids by their email's local part (alex, bea, …). */
  ids: Record<string, number>
  otherAccountId: number
  otherAlexId: number
}

/** Every identify/ping of the fixture, per project; `ago` is days before now. */
function plan() {
  const item = (type: 'identify' | 'ping', email: string, ago: number, fields: object = {}) => ({
    type,
    email,
    timestamp: new Date(Date.now() - ago * DAY).toISOString(),
    ...fields,
  })
  const a = [
    item('identify', 'alex@example.com', 1, {
      name: 'Alex Chen',
      status: 'paid',
      params: { plan: 'pro', mrr: 29, source: 'producthunt', role: 'admin' },
    }),
    item('ping', 'alex@example.com', 0),
    item('identify', 'bea@example.com', 2, {
      name: 'Bea Park',
      status: 'free',
      params: { source: 'twitter', beta: false },
    }),
    item('identify', 'cy@example.com', 60, { name: 'Cy Old', status: 'free' }),
    item('ping', 'cy@example.com', 45),
    item('identify', 'dee@example.com', 3, {
      name: 'Dee Trial',
      status: 'trialing',
      params: { trial_ends: '2026-03-25', tags: ['vip', 'eu'] },
    }),
    item('identify', 'fay@example.com', 40, {
      name: 'Fay',
      status: 'churned',
      params: { plan: 'pro' },
    }),
  ]
  const b = [
    item('identify', 'alex@example.com', 1, { status: 'free', params: { plan: 'free' } }),
    item('identify', 'bea@example.com', 2, { status: 'paid', params: { plan: 'pro', mrr: 19 } }),
    item('identify', 'eve@example.com', 5, {
      name: 'Eve',
      status: 'trial',
      params: { trial_ends: '2026-04-10T09:00:00Z', beta: true },
    }),
    item('identify', 'fay@example.com', 0, { status: 'paid', params: { plan: 'pro', mrr: 49 } }),
    item('identify', 'hal@example.com', 30, {
      name: 'Hal <b>Bold</b>',
      status: 'free',
      params: { beta: true, source: 'producthunt' },
    }),
    item('ping', 'hal@example.com', 10),
  ]
  const c = [
    item('identify', 'eve@example.com', 4, { status: 'free' }),
    item('identify', 'fay@example.com', 0, { status: 'paid', params: { plan: 'basic', mrr: 10 } }),
    item('identify', 'gus@example.com', 20, { status: 'free', params: { role: 'admin' } }),
  ]
  return { a, b, c }
}

export async function seedQuestions(app: Fetcher, db: Kysely<Database>): Promise<QuestionsFixture> {
  const owner = await seedAccount(db, ['App A', 'App B', 'App C'])
  const [pa, pb, pc] = owner.projects as [
    (typeof owner.projects)[0],
    (typeof owner.projects)[0],
    (typeof owner.projects)[0],
  ]
  const keys = { a: pa.key, b: pb.key, c: pc.key }
  const items = plan()
  for (const [key, batch] of [
    [keys.a, items.a],
    [keys.b, items.b],
    [keys.c, items.c],
  ] as const) {
    const res = await postJson(app, '/v1/batch', key, { batch })
    if (res.status !== 200 || res.body.failed !== 0) {
      throw new Error(`fixture ingest failed: ${JSON.stringify(res.body)}`)
    }
  }
  const other = await seedAccount(db, ['Other App'])
  await postJson(app, '/v1/identify', other.projects[0]!.key, {
    email: 'alex@example.com',
    name: 'Other Alex',
    status: 'paid',
    params: { plan: 'pro', mrr: 1000 },
  })
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'email', 'account_id'])
    .where('account_id', 'in', [owner.accountId, other.accountId])
    .execute()
  const ids: Record<string, number> = {}
  let otherAlexId = 0
  for (const r of rows) {
    if (r.account_id === owner.accountId) ids[r.email.split('@')[0]!] = r.id
    else otherAlexId = r.id
  }
  return {
    accountId: owner.accountId,
    userId: owner.userId,
    email: owner.email,
    password: owner.password,
    keys,
    ids,
    otherAccountId: other.accountId,
    otherAlexId,
  }
}

/** Each of the README's questions as a dashboard URL query, with the customers that answer it. */
export const QUESTIONS: { n: number; question: string; query: string; answer: string[] }[] = [
  {
    n: 1,
    question: 'Everyone who uses App A',
    query: 'in=app-a',
    answer: ['alex', 'bea', 'cy', 'dee', 'fay'],
  },
  { n: 2, question: 'Paid customers of App B', query: 'in=app-b:paid', answer: ['bea', 'fay'] },
  {
    n: 3,
    question: 'Customers of both A and B',
    query: 'in=app-a&in=app-b',
    answer: ['alex', 'bea', 'fay'],
  },
  {
    n: 3,
    question: 'Customers in 2+ products',
    query: 'min_projects=2',
    answer: ['alex', 'bea', 'eve', 'fay'],
  },
  { n: 3, question: 'Customers in 3+ products', query: 'min_projects=3', answer: ['fay'] },
  {
    n: 4,
    question: 'Customers of A who have not tried B',
    query: 'in=app-a&not_in=app-b',
    answer: ['cy', 'dee'],
  },
  {
    n: 5,
    question: 'Free on A but paid on B',
    query: 'in=app-a:free&in=app-b:paid',
    answer: ['bea'],
  },
  {
    n: 6,
    question: 'Trial users across all products',
    query: 'status=trial',
    answer: ['dee', 'eve'],
  },
  { n: 6, question: 'Trial users of App B', query: 'in=app-b:trial', answer: ['eve'] },
  {
    n: 7,
    question: 'Not active for 30 days',
    query: 'inactive=30&sort=last_activity',
    answer: ['cy'],
  },
  {
    n: 7,
    question: 'Not active in App A for 30 days',
    query: 'inactive=30@app-a',
    answer: ['cy', 'fay'],
  },
  {
    n: 8,
    question: 'Signed up more than 14 days ago and still free',
    query: 'seen_before=14d&status=free&not_status=paid,trial',
    answer: ['cy', 'gus', 'hal'],
  },
  {
    n: 8,
    question: 'Signed up to App A more than 14 days ago and still free there',
    query: 'in=app-a:free&seen_before=14d@app-a',
    answer: ['cy'],
  },
  {
    n: 9,
    question: 'Came from Product Hunt',
    query: 'p=source:eq:producthunt',
    answer: ['alex', 'hal'],
  },
  {
    n: 10,
    question: 'Pro subscribers (and their MRR)',
    query: 'p=plan:eq:pro&sum=mrr',
    answer: ['alex', 'bea', 'fay'],
  },
  {
    n: 11,
    question: 'Trials ending in the week of 2026-03-23',
    query: 'p=trial_ends:between:2026-03-23,2026-03-29',
    answer: ['dee'],
  },
  {
    n: 12,
    question: 'Churned on A but still a customer of B',
    query: 'in=app-a:churned&in=app-b:free,trial,paid',
    answer: ['fay'],
  },
  {
    n: 12,
    question: 'Churned on A but active on B this month',
    query: 'in=app-a:churned&active=30@app-b',
    answer: ['fay'],
  },
  { n: 13, question: 'Admins', query: 'p=role:eq:admin', answer: ['alex', 'gus'] },
  { n: 13, question: 'Beta users', query: 'p=beta:eq:true', answer: ['eve', 'hal'] },
  { n: 14, question: 'Find a customer by part of the email', query: 'q=ALEX', answer: ['alex'] },
  { n: 14, question: 'Find a customer by part of the name', query: 'q=park', answer: ['bea'] },
]

/** A session cookie for the user, made the way the session middleware makes one (the dashboard's
 *  own login flow has its tests in A's files; these tests are about the customers pages). */
export async function sessionCookie(db: Kysely<Database>, userId: number): Promise<string> {
  const token = randomBase62(43)
  await db
    .insertInto('sessions')
    .values({
      token_hash: await hashKey(token),
      user_id: userId,
      expires_at: new Date(Date.now() + 86_400_000),
    })
    .execute()
  return `${SESSION_COOKIE}=${token}`
}

/** The fixture seeded on `t` before this file's tests, with its owner's session cookie. The
 *  returned object is filled in by then: read its fields inside hooks and tests. */
export function useQuestions(t: TestApp): QuestionsFixture & { cookie: string } {
  const fx = {} as QuestionsFixture & { cookie: string }
  beforeAll(async () => {
    const seeded = await seedQuestions(t.app, t.db)
    Object.assign(fx, seeded, { cookie: await sessionCookie(t.db, seeded.userId) })
  })
  return fx
}
