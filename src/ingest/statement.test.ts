// The ingest statement of rows sent as JSON is compiled once per shape, and each request only puts
// its own values into the parameters: what it sends must be exactly the statement compiled anew
// from those values, whatever ran before it.
import { expect, it } from 'vitest'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { fold, type IngestItem } from './fold.js'
import { jsonIngestQuery, jsonIngestStatement, type Source, type Writer } from './statement.js'

const t = useTestDb()
const at = new Date('2026-03-01T00:00:00Z')

const identify = (email: string, extra: Partial<IngestItem> = {}): IngestItem =>
  ({ type: 'identify', email, ...extra }) as IngestItem
const ping = (email: string): IngestItem => ({ type: 'ping', email }) as IngestItem

const requests: [Writer, IngestItem[], Source][] = [
  [{ keyHash: 'a'.repeat(64) }, [identify('a@example.com', { status: 'paid' })], 'api'],
  [{ keyHash: 'b'.repeat(64) }, [identify('b@example.com', { params: { plan: 'pro' } })], 'api'],
  [{ projectId: 7 }, [identify('c@example.com')], 'import'],
  [{ projectId: 8 }, [identify('d@example.com'), identify('e@example.com')], 'dashboard'],
  [{ keyHash: 'c'.repeat(64) }, [ping('f@example.com')], 'segment'],
  [{ keyHash: 'd'.repeat(64) }, [identify('g@example.com'), ping('h@example.com')], 'api'],
  [{ keyHash: 'e'.repeat(64) }, [], 'api'],
  [{ keyHash: 'a'.repeat(64) }, [identify('a@example.com', { name: 'Ada' })], 'segment'],
  [{ projectId: 9 }, [identify('i@example.com', { paramsOnce: { source: 'ph' } })], 'stripe'],
]

it('sends, for every request, the statement compiled anew from its own values', () => {
  for (const [writer, items, source] of requests) {
    const { rows } = fold(items, at)
    const cached = jsonIngestQuery(t.db, writer, rows, source)
    const fresh = jsonIngestStatement(writer, rows, source).compile(t.db)
    expect(cached.sql).toBe(fresh.sql)
    expect(cached.parameters).toEqual(fresh.parameters)
  }
})

it('runs: the key check answers through the compiled statement', async () => {
  const { projects } = await seedAccount(t.db, ['App A'])
  const { rows } = fold([identify('run@example.com')], at)
  const query = jsonIngestQuery(t.db, { projectId: projects[0]!.project.id }, rows, 'import')
  const [result] = (await t.db.executeQuery(query)).rows
  expect(result).toMatchObject({ found: 1, revoked: false, identified: [{ i: 0, created: true }] })
})
