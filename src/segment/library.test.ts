// @segment/analytics-node, unchanged but for its host, delivering to the running app (Node over
// PGlite) through a network that duplicates and drops: the database equals the model of the
// calls, and every messageId was recorded once (test/support/segment-soak.ts).
import { expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { EMAILS, actual, recordedMessageIds, runSoak } from '../../test/support/segment-soak.js'

const t = useTestApp({ listen: true })

it('10,000 calls through duplicates and dropped responses: the database equals the model', async () => {
  const { projects } = await seedAccount(t.db, ['Segment source'])
  const { project, key } = projects[0]!
  const started = Date.now()
  const run = await runSoak(t.baseUrl, key)
  console.log(
    `segment soak (PGlite): ${run.posts} posts, ${run.duplicated} duplicated, ` +
      `${run.dropped} responses dropped, ${run.replayedLate} replayed late, ` +
      `${Date.now() - started} ms`,
  )
  expect(run.failed).toBe(0)
  expect(run.refused).toBe(0)
  expect(run.duplicated).toBeGreaterThan(0)
  expect(run.dropped).toBeGreaterThan(0)
  expect(run.messageIds.size).toBe(10_000)

  const db = await actual(t.db, project.id)
  expect(db.size).toBe(EMAILS)
  expect(db).toEqual(run.model)
  const recorded = await recordedMessageIds(t.db, project.id)
  expect(recorded).toHaveLength(10_000)
  expect(new Set(recorded)).toEqual(run.messageIds)
}, 300_000)
