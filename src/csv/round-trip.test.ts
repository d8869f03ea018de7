// Export → import is lossless: each project's segment exported as CSV (`in=<slug>`) and imported,
// with the suggested mapping, into the same-named project of an empty account gives the same
// customers (email, name), statuses and params. Values start with a formula character, an
// apostrophe, a tab or CR; hold quotes, commas, newlines, unicode; look like numbers, booleans,
// dates or JSON while being text. One type per param key (a CSV column has one type).
import { expect, it } from 'vitest'
import fc from 'fast-check'
import { sql } from 'kysely'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { PROTOTYPE_NAMES } from '../../test/support/prototype-names.js'
import { parseCustomerFilter } from '../customers/filter.js'
import { batchItem, type BatchItem } from '../ingest/schemas.js'
import { ingestForProject } from '../ingest/upsert.js'
import { STATUSES } from '../lib/status.js'
import { exportCustomersCsv } from './export.js'
import { importToEnd, loadJob, firstChunkRows } from './job.js'
import { suggestMapping } from './mapping.js'
import { createImport } from './upload.js'

const t = useTestDb()

const readAll = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text()

/** Every customer of an account with its relations, comparable across accounts. */
async function snapshot(accountId: number) {
  const { rows } = await sql<{ email: string; name: string | null; rels: unknown }>`
    SELECT c.email, c.name, (
      SELECT json_agg(json_build_object('project', p.slug, 'status', r.status, 'params', r.params)
        ORDER BY p.slug)
      FROM customer_projects r JOIN projects p ON p.id = r.project_id WHERE r.customer_id = c.id
    ) AS rels
    FROM customers c WHERE c.account_id = ${accountId} AND c.merged_into IS NULL
    ORDER BY c.email`.execute(t.db)
  return rows
}

/** Exports each project's segment and imports it into the same project of `to`. */
async function roundTrip(from: number, to: Awaited<ReturnType<typeof seedAccount>>) {
  const slugs = to.projects.map((p) => p.project.slug)
  for (const { project } of to.projects) {
    const csv = await readAll(
      await exportCustomersCsv(t.db, from, parseCustomerFilter({ in: project.slug })),
    )
    if (csv.split('\r\n').length <= 2) continue // a header and nothing else: no customer there
    const { importId } = await createImport(t.db, {
      accountId: to.accountId,
      projectId: project.id,
      filename: 'export.csv',
      body: new Blob([csv]).stream(),
    })
    const job = await loadJob(t.db, to.accountId, importId)
    const sample = (await firstChunkRows(t.db, importId)).map((r) => r.slice(1))
    const mapping = suggestMapping(job.header, sample, project.slug, slugs)
    const { counts } = await importToEnd(t.db, to.accountId, importId, mapping)
    expect(counts.rejected, csv).toBe(0)
  }
}

const NAMES = ['App A', 'App B']

it("keeps '-apos@rt.test, a param '=literal and formula-looking text as they were", async () => {
  const from = await seedAccount(t.db, NAMES)
  const items: BatchItem[] = [
    {
      type: 'identify',
      email: "'-apos@rt.test",
      name: "'=not a formula",
      status: 'paid',
      params: { note: "'=literal", eq: '=1+1', tab: '\tx', cr: '\rx', at: '@x', q: '"q"' },
    },
    {
      type: 'identify',
      email: '+eq@rt.test',
      name: '+plus',
      params: { note: "'", eq: '-1', tab: '', cr: '123', at: 'true', q: '{"a":1}' },
    },
  ].map((i) => batchItem.parse(i))
  await ingestForProject(t.db, from.projects[0]!.project.id, items)
  const to = await seedAccount(t.db, NAMES)
  await roundTrip(from.accountId, to)
  expect(await snapshot(to.accountId)).toEqual(await snapshot(from.accountId))
  expect((await snapshot(to.accountId)).map((c) => c.email)).toContain("'-apos@rt.test")
})

// Text a spreadsheet or our importer might read as something else.
const tricky = fc.constantFrom(
  "'=literal",
  "'",
  "''",
  "'-x",
  '=1+1',
  '+1',
  '-1',
  '@x',
  '\tx',
  '\rx',
  'x\r',
  'a\nb',
  'a\r\nb',
  '"q"',
  'a,b',
  ' 42 ',
  '123',
  '1e5',
  '-0.5',
  'true',
  'FALSE',
  '2026-01-01',
  '2026-01-01T00:00:00Z',
  '{"a":1}',
  '[1,2]',
  'null',
  '',
  ' ',
  'ü✓ 日本',
  '😀',
  ...PROTOTYPE_NAMES,
)
const text = fc.oneof(
  tricky,
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.tuple(tricky, fc.string({ maxLength: 6 })).map(([a, b]) => a + b),
)
const noNul = (s: string) => !s.includes('\u0000')
type Kind = 'text' | 'number' | 'boolean' | 'json'
const valueOf = (kind: Kind): fc.Arbitrary<unknown> => {
  switch (kind) {
    case 'text':
      return text.filter(noNul)
    case 'number':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
    case 'boolean':
      return fc.boolean()
    case 'json':
      return fc.oneof(
        fc.dictionary(text.filter(noNul), fc.oneof(text.filter(noNul), fc.integer()), {
          maxKeys: 3,
        }),
        fc.array(fc.oneof(text.filter(noNul), fc.integer(), fc.boolean()), { maxLength: 3 }),
      )
  }
}
const paramKey = fc
  .oneof(
    fc.constantFrom("'=literal", '=k', 'a.b', 'a:b', 'a,b', 'ü', 'has space', ...PROTOTYPE_NAMES),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
  )
  .map((k) => k.trim())
  .filter((k) => k.length > 0 && noNul(k))
const prefix = fc.constantFrom("'-apos", "'", "'+q", '+plus', '-minus', '_u', 'plain', "o'neil")

const account = fc
  .tuple(
    fc.uniqueArray(fc.tuple(paramKey, fc.constantFrom<Kind>('text', 'number', 'boolean', 'json')), {
      selector: ([k]) => k,
      maxLength: 4,
    }),
    fc.integer({ min: 1, max: 5 }),
  )
  .chain(([keys, n]) => {
    const params = fc
      .tuple(...keys.map(([, kind]) => fc.option(valueOf(kind), { nil: undefined })))
      .map((values) =>
        Object.fromEntries(
          keys.flatMap(([k], i) => (values[i] === undefined ? [] : [[k, values[i]]])),
        ),
      )
    const relation = fc.option(fc.record({ status: fc.constantFrom(...STATUSES), params }), {
      nil: undefined,
    })
    return fc.array(
      fc.record({
        prefix,
        name: fc.option(text.filter(noNul), { nil: undefined }),
        relations: fc.tuple(relation, relation),
      }),
      { minLength: n, maxLength: n },
    )
  })

it('export → import into an empty account gives the same customers, statuses and params', async () => {
  let runs = 0
  await fc.assert(
    fc.asyncProperty(account, async (customers) => {
      const from = await seedAccount(t.db, NAMES)
      for (const [p, { project }] of from.projects.entries()) {
        const items = customers.flatMap((c, i) => {
          const rel = c.relations[p]
          if (!rel) return []
          const item = { type: 'identify', email: `${c.prefix}${i}@rt.test`, name: c.name, ...rel }
          // Params travel as JSON, as the API takes them (a __proto__ key stays a key).
          return [batchItem.parse(JSON.parse(JSON.stringify(item)))]
        })
        if (items.length) await ingestForProject(t.db, project.id, items)
      }
      const to = await seedAccount(t.db, NAMES)
      await roundTrip(from.accountId, to)
      expect(await snapshot(to.accountId)).toEqual(await snapshot(from.accountId))
      runs++
    }),
    { numRuns: 40 },
  )
  expect(runs).toBe(40)
}, 120_000)
