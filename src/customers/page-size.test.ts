// The customers page's weight with a full page of realistic customers: 50 rows, three products,
// a dozen params each, compressed as the Node server sends it (hono's compress). Under 60 KB
// gzipped and at most three SQL statements per request, for the plain table and for a filter that
// adds param columns and a sum. Bytes and statements, never time (the machine is noisy).
import { beforeAll, expect, it } from 'vitest'
import { compress } from 'hono/compress'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { sessionCookie } from '../../test/support/customers-fixture.js'

const MAX_GZIPPED = 60 * 1024
const CUSTOMERS = 120

const t = useTestApp({ compression: compress() })
let cookie: string

const FIRST = ['Alexandra', 'Benjamin', 'Charlotte', 'Dmitri', 'Emmanuelle', 'Francisco', 'Gwen']
const LAST = ['Okonkwo-Smith', 'Lindqvist', 'Fitzgerald', 'Nakamura', 'Van der Berg', 'Rossi']
const STATUSES = ['paid', 'trial', 'free', 'churned']
const PLANS = ['starter', 'pro', 'business', 'enterprise']
const SOURCES = ['producthunt', 'google-ads', 'twitter', 'newsletter', 'referral']
const DAY = 86_400_000

/** Customer `i` as one product's backend identifies it: a long name and email, a dozen params. */
function identify(i: number, product: number) {
  const first = FIRST[i % FIRST.length]!
  const last = LAST[(i * 7) % LAST.length]!
  return {
    type: 'identify',
    email: `${first}.${last.replaceAll(' ', '')}.${i}@acme-${i % 13}-industries.example.com`
      .toLowerCase()
      .replaceAll("'", ''),
    name: `${first} ${last}`,
    status: STATUSES[(i + product) % STATUSES.length],
    timestamp: new Date(Date.now() - ((i * 3 + product) % 400) * DAY).toISOString(),
    params: {
      plan: PLANS[(i + product) % PLANS.length],
      mrr: ((i * 37) % 500) + 9,
      seats: (i % 25) + 1,
      source: SOURCES[i % SOURCES.length],
      company: `Acme ${i % 13} Industries GmbH`,
      country: ['DE', 'US', 'FR', 'JP', 'BR'][i % 5],
      role: i % 4 ? 'member' : 'admin',
      beta: i % 3 === 0,
      trial_ends: new Date(Date.now() + (i % 30) * DAY).toISOString().slice(0, 10),
      utm_campaign: `spring-launch-2026-${i % 9}`,
      signup_channel: i % 2 ? 'self-serve' : 'sales-assisted',
      last_invoice_id: `in_1Q${(i * 7919).toString(36).padStart(8, '0')}`,
    },
  }
}

beforeAll(async () => {
  const owner = await seedAccount(t.db, ['Invoicely', 'FormBox', 'Pagekite'])
  for (const [p, project] of owner.projects.entries()) {
    // Everyone uses Invoicely; two in three use FormBox; one in three Pagekite.
    const batch = Array.from({ length: CUSTOMERS }, (_, i) => i)
      .filter((i) => p === 0 || i % 3 !== p - 1)
      .map((i) => identify(i, p))
    const res = await postJson(t.app, '/v1/batch', project.key, { batch })
    expect(res.body.failed).toBe(0)
  }
  cookie = await sessionCookie(t.db, owner.userId)
})

it.each([
  ['the table as it opens', '/customers'],
  [
    'a filter with param columns, a sum and a sort',
    '/customers?in=invoicely&not_status=churned&p=invoicely.mrr:gte:1&p=seats:gte:1&sum=mrr&sort=email',
  ],
])('%s: 50 rows, under 60 KB gzipped, at most 3 statements', async (_, path) => {
  t.statements.length = 0
  const res = await t.app.request(path, {
    headers: { Cookie: cookie, Accept: 'text/html', 'Accept-Encoding': 'gzip' },
  })
  expect(res.status).toBe(200)
  expect(t.statements.length).toBeLessThanOrEqual(3)
  expect(res.headers.get('content-encoding')).toBe('gzip')
  const gzipped = (await res.arrayBuffer()).byteLength
  const plain = await t.app.request(path, { headers: { Cookie: cookie, Accept: 'text/html' } })
  const html = await plain.text()
  expect(html.match(/<tr [^>]*data-customer-id=/g)).toHaveLength(50)
  // Every row carries its products' badges and the params the filter uses (not an empty page).
  expect(html.match(/class="badge status-/g)!.length).toBeGreaterThan(50)
  expect(gzipped).toBeGreaterThan(1024)
  expect(gzipped).toBeLessThan(MAX_GZIPPED)
  console.info(`${path}: ${html.length} bytes, ${gzipped} gzipped`)
})
