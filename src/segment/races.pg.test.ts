// Segment ingest against a real PostgreSQL server, where statements really run side by side
// (PGlite runs one at a time and hides every race): duplicates of one messageId racing on separate
// connections are applied once, and the real @segment/analytics-node soak holds with the
// network's duplicates arriving concurrently.
import { describe, expect, it } from 'vitest'
import { hashKey } from '../lib/keys.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { EMAILS, actual, recordedMessageIds, runSoak } from '../../test/support/segment-soak.js'
import { parseEvent, type SegmentRow } from './spec.js'
import { applySegmentEvents } from './store.js'

const POOL_SIZE = 40
// Names this file's connections, so the gate counts only ours (other files share the server).
const APP_NAME = 'tinycrm-segment-races-test'

const served = useServedApp({
  appName: APP_NAME,
  poolSize: POOL_SIZE,
  gateTable: 'segment_messages',
})

function rows(events: unknown[]): SegmentRow[] {
  const receivedAt = new Date()
  return events.map((raw, n) => {
    const parsed = parseEvent(raw, { n, receivedAt })
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.details))
    return parsed.row
  })
}

describe('messageId under concurrency (real PostgreSQL)', () => {
  it('20 copies of one batch at the same instant, on 20 connections: each event applied once', async () => {
    const { projects } = await seedAccount(served.db, ['Racing source'])
    const keyHash = await hashKey(projects[0]!.key)
    const batch = rows(
      Array.from({ length: 50 }, (_, i) => ({
        type: 'identify',
        userId: `racer${i % 10}@example.com`,
        messageId: `race-${i}`,
        traits: { [`k${i}`]: i },
      })),
    )
    const outcomes = await served.gate.gated(20, () =>
      Promise.all(Array.from({ length: 20 }, () => applySegmentEvents(served.db, keyHash, batch))),
    )
    expect(outcomes.reduce((sum, o) => sum + o.applied, 0)).toBe(50)
    expect(outcomes.reduce((sum, o) => sum + o.duplicates, 0)).toBe(19 * 50)
    const db = await actual(served.db, projects[0]!.project.id)
    expect(db.size).toBe(10)
    expect(db.get('racer3@example.com')!.params).toEqual({
      k3: 3,
      k13: 13,
      k23: 23,
      k33: 33,
      k43: 43,
    })
  })

  it('overlapping batches racing: every messageId applied by exactly one of them', async () => {
    const { projects } = await seedAccount(served.db, ['Overlapping source'])
    const keyHash = await hashKey(projects[0]!.key)
    // Batch k holds messages k .. k+9: each message is in up to ten batches.
    const batches = Array.from({ length: 20 }, (_, k) =>
      rows(
        Array.from({ length: 10 }, (_, j) => ({
          type: 'track',
          event: 'e',
          userId: `overlap${(k + j) % 7}@example.com`,
          messageId: `overlap-${k + j}`,
        })),
      ),
    )
    const outcomes = await served.gate.gated(20, () =>
      Promise.all(batches.map((batch) => applySegmentEvents(served.db, keyHash, batch))),
    )
    expect(outcomes.reduce((sum, o) => sum + o.applied, 0)).toBe(29)
    expect(await recordedMessageIds(served.db, projects[0]!.project.id)).toHaveLength(29)
  })
})

describe('$set_once under concurrency (real PostgreSQL)', () => {
  it('20 identifies of one new email at once, each with its own $set_once: exactly one wins, never overwritten', async () => {
    const { projects } = await seedAccount(served.db, ['First touch'])
    const keyHash = await hashKey(projects[0]!.key)
    const racers = (round: string) =>
      Array.from({ length: 20 }, (_, i) =>
        rows([
          {
            type: 'identify',
            userId: 'first-touch@example.com',
            messageId: `${round}-${i}`,
            timestamp: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
            traits: { [`${round}${i}`]: i, $set_once: { source: `${round}-${i}` } },
            context: { $set_once: { landing: `/${round}/${i}` } },
          },
        ]),
      )
    await served.gate.gated(20, () =>
      Promise.all(racers('new').map((batch) => applySegmentEvents(served.db, keyHash, batch))),
    )
    const first = (await actual(served.db, projects[0]!.project.id)).get('first-touch@example.com')!
    const source = first.params.source as string
    expect(source).toMatch(/^new-\d+$/)
    // The source and the landing page of the same identify: the one statement that created the
    // relation set both; every other identify found them set.
    expect(first.params.landing).toBe(`/new/${source.slice(4)}`)
    for (let i = 0; i < 20; i++) expect(first.params[`new${i}`]).toBe(i)

    await served.gate.gated(20, () =>
      Promise.all(racers('again').map((batch) => applySegmentEvents(served.db, keyHash, batch))),
    )
    const after = (await actual(served.db, projects[0]!.project.id)).get('first-touch@example.com')!
    expect(after.params.source).toBe(source)
    expect(after.params.landing).toBe(first.params.landing)
    for (let i = 0; i < 20; i++) expect(after.params[`again${i}`]).toBe(i)
  })
})

it('@segment/analytics-node, 10,000 calls, duplicates racing on separate connections: the database equals the model', async () => {
  const { projects } = await seedAccount(served.db, ['Segment source'])
  const { project, key } = projects[0]!
  const started = Date.now()
  const run = await runSoak(served.baseUrl, key, 29)
  console.log(
    `segment soak (Postgres): ${run.posts} posts, ${run.duplicated} duplicated, ` +
      `${run.dropped} responses dropped, ${run.replayedLate} replayed late, ` +
      `${Date.now() - started} ms`,
  )
  expect(run.failed).toBe(0)
  expect(run.refused).toBe(0)
  expect(run.messageIds.size).toBe(10_000)
  const db = await actual(served.db, project.id)
  expect(db.size).toBe(EMAILS)
  expect(db).toEqual(run.model)
  const recorded = await recordedMessageIds(served.db, project.id)
  expect(recorded).toHaveLength(10_000)
  expect(new Set(recorded)).toEqual(run.messageIds)
}, 300_000)
