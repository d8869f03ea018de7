// The bundle on PGlite: export, import into a new database, and the answers, the checksums and a
// merge's undo are the same there; a bundle that is cut, tampered with or aimed at a database
// that has data is refused and leaves nothing behind. src/backup/bundle.pg.test.ts moves between
// PGlite and a real PostgreSQL both ways.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { answers, seedForMove, undo } from '../../test/support/moving.js'
import { createApp } from '../app.js'
import type { Manifest } from './bundle.js'
import { exportBundle } from './export.js'
import { importBundle } from './import.js'
import { BUNDLE_TABLES, NOT_IN_BUNDLE } from './tables.js'
import { ingestForProject } from '../ingest/upsert.js'
import { seedAccount } from '../../test/support/fixtures.js'

let source: TestDb
let moved: Awaited<ReturnType<typeof seedForMove>>
let lines: string[]
let manifest: Manifest

async function* each(list: string[]) {
  yield* list
}

async function exportAll(db: TestDb['db']) {
  const out: string[] = []
  const result = await exportBundle(db, async (line) => void out.push(line.replace(/\n$/, '')))
  return { lines: out, manifest: result.manifest }
}

beforeAll(async () => {
  source = await openTestDb()
  moved = await seedForMove(createApp({ db: source.db }), source.db)
  ;({ lines, manifest } = await exportAll(source.db))
})
afterAll(() => source.close())

it('bundles every table of the schema, except sessions and login counters', async () => {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(source.db)
  const bundled = BUNDLE_TABLES.map((t) => t.name as string)
  expect(rows.map((r) => r.table_name).sort()).toEqual([...bundled, ...NOT_IN_BUNDLE].sort())
})

it('writes a header, the rows, and a manifest of counts and checksums', () => {
  expect(JSON.parse(lines[0]!)).toMatchObject({
    header: true,
    format: 'tinycrm-bundle',
    version: 1,
    schema: expect.stringMatching(/^\d{4}-/),
  })
  expect(JSON.parse(lines.at(-1)!)).toEqual({ manifest })
  expect(manifest.tables.customers!.rows).toBeGreaterThan(10)
  expect(manifest.tables.merges!.rows).toBe(1)
  // The relations' history, written by a trigger on customer_projects, travels as it was.
  expect(manifest.tables.relation_changes!.rows).toBeGreaterThan(10)
  expect(manifest.tables.customers!.sha256).toMatch(/^[0-9a-f]{64}$/)
})

describe('into a new PGlite', () => {
  let target: TestDb
  beforeAll(async () => {
    target = await openTestDb()
  })
  afterAll(() => target.close())

  it('answers every README question the same, with equal checksums, and the merge undoes', async () => {
    await importBundle(target.db, each(lines))
    expect((await exportAll(target.db)).manifest).toEqual(manifest)
    const before = createApp({ db: source.db })
    const after = createApp({ db: target.db })
    expect(await answers(after, moved.token)).toEqual(await answers(before, moved.token))

    const undone = await undo(after, moved.token, moved.mergeId)
    expect(undone).toMatchObject({ status: 200 })
    const kims = await target.db
      .selectFrom('customers')
      .select('email')
      .where('email', 'like', 'kim%')
      .where('merged_into', 'is', null)
      .execute()
    expect(kims).toHaveLength(2)
    // New rows take ids after the imported ones.
    const res = await after.request('/v1/projects', {
      method: 'POST',
      headers: { Authorization: `Bearer ${moved.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'After the move' }),
    })
    expect(res.status).toBe(201)
  })

  it('refuses a database that already has data', async () => {
    await expect(importBundle(target.db, each(lines))).rejects.toThrow(
      /^The target database is not empty \(accounts, users, projects, /,
    )
  })
})

it('keeps jsonb numbers as written (29.00 stays 29.00, as billing and Segment store them)', async () => {
  const from = await openTestDb()
  const to = await openTestDb()
  try {
    const { projects } = await seedAccount(from.db, ['Billed'])
    await ingestForProject(from.db, projects[0]!.project.id, [
      { type: 'identify', email: 'paying@example.com' },
    ])
    await sql`UPDATE customer_projects
      SET params = '{"mrr": 29.00}', params_at = '{"mrr": 1795954520.286000}'`.execute(from.db)
    const bundle = await exportAll(from.db)
    await importBundle(to.db, each(bundle.lines))
    expect((await exportAll(to.db)).manifest).toEqual(bundle.manifest)
    const { rows } = await sql<{ params: string }>`
      SELECT params::text AS params FROM customer_projects`.execute(to.db)
    expect(rows).toEqual([{ params: '{"mrr": 29.00}' }])
  } finally {
    await from.close()
    await to.close()
  }
})

describe('a bad bundle', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['cut short', () => lines.slice(0, -2), /the bundle ends before its manifest/],
    ['empty', () => [], /the file is empty/],
    ['not a bundle', () => ['{"hello":1}'], /not a TinyCRM bundle/],
    ['not JSON', () => [lines[0]!, 'garbage'], /^line 2: not JSON/],
    [
      'another schema',
      () => [
        lines[0]!.replace(/"schema":"[^"]+"/, '"schema":"1999-01-01T00-old"'),
        ...lines.slice(1),
      ],
      /written at schema 1999-01-01T00-old, this TinyCRM is at .*: import it with the TinyCRM version that wrote it/,
    ],
    [
      'a row changed',
      () => lines.map((l) => l.replace('"name": "Bea Park"', '"name": "Eve Park"')),
      /^customers: \d+ rows imported with checksum .*, the manifest says \d+ rows, .*: nothing was imported$/,
    ],
  ]
  for (const [what, make, message] of cases) {
    it(`refuses one ${what}, leaving the target empty`, async () => {
      const target = await openTestDb()
      try {
        await expect(importBundle(target.db, each(make()))).rejects.toThrow(message)
        const { rows } = await sql`SELECT 1 FROM accounts`.execute(target.db)
        expect(rows).toEqual([])
      } finally {
        await target.close()
      }
    })
  }

  it('really changed a row in the tampering case', () => {
    expect(lines.some((l) => l.includes('"name": "Bea Park"'))).toBe(true)
  })
})
