// Removing an interrupted upload (its Remove button, POST /imports/:id/discard) while its bytes
// start arriving again, against a real PostgreSQL (PGlite runs one statement at a time and hides
// every race). Each trial: an upload sends its header and a first chunk of rows, then stalls; its
// last sign of life is set 16 minutes back, so it counts as interrupted; then the rest of the file
// arrives (a second chunk, the end) while the discard runs. Either the discard wins (the import and
// every row are gone, and the upload answers that it was removed) or the upload does (the discard
// finds nothing to remove and the import holds every row): never a removed upload reported stored,
// nor a stored one missing rows.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { discardInterruptedUpload } from './retention.js'
import { CHUNK_ROWS, createImport } from './upload.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 20)
const served = useServedApp({ appName: 'tinycrm-csv-discard-races', poolSize: 6 })

const encoder = new TextEncoder()
const lines = (t: number, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `u${from + i}.t${t}@discard.test,pro\n`).join('')

describe('removing an interrupted upload while its bytes arrive again (real PostgreSQL)', () => {
  it(`either removes all of it or none of it (${TRIALS} trials)`, async () => {
    const db = served.db
    const { accountId, projects } = await seedAccount(db, ['App A'])
    const projectId = projects[0]!.project.id
    const outcomes = { discarded: 0, stored: 0 }
    const failed: string[] = []
    for (let t = 0; t < TRIALS; t++) {
      let resume!: () => void
      const resumed = new Promise<void>((r) => (resume = r))
      let sent = false
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!sent) {
            sent = true
            controller.enqueue(encoder.encode(`email,plan\n${lines(t, 0, CHUNK_ROWS + 10)}`))
            return
          }
          await resumed
          controller.enqueue(encoder.encode(lines(t, CHUNK_ROWS + 10, CHUNK_ROWS)))
          controller.close()
        },
      })
      const filename = `stalled-${t}.csv`
      const upload = createImport(db, { accountId, projectId, filename, body }).then(
        (r) => ({ ok: true as const, rows: r.rows }),
        (err: Error) => ({ ok: false as const, message: err.message }),
      )
      // Wait for its first chunk, then make its last sign of life 16 minutes old.
      let importId: number | undefined
      for (let i = 0; i < 500 && importId === undefined; i++) {
        const row = await db
          .selectFrom('imports')
          .select('id')
          .where('filename', '=', filename)
          .where(
            sql<boolean>`EXISTS (SELECT 1 FROM import_chunks k WHERE k.import_id = imports.id)`,
          )
          .executeTakeFirst()
        importId = row?.id
        if (importId === undefined) await new Promise((r) => setTimeout(r, 10))
      }
      expect(importId, `trial ${t}: the upload's first chunk`).toBeDefined()
      await db
        .updateTable('imports')
        .set({ progress_at: sql`now() - interval '16 minutes'` })
        .where('id', '=', importId!)
        .execute()

      // Both at once: the rest of the file, and the discard, 0 to 18 ms after it (which wins varies).
      resume()
      await new Promise((r) => setTimeout(r, (t % 7) * 3))
      const discarded = await discardInterruptedUpload(db, accountId, importId!)
      const uploaded = await upload

      const left = await db
        .selectFrom('imports')
        .select(['state', 'total_rows'])
        .where('id', '=', importId!)
        .executeTakeFirst()
      const { stored } = await sql<{ stored: number }>`
        SELECT COALESCE(sum(jsonb_array_length(rows)), 0)::int AS stored
        FROM import_chunks WHERE import_id = ${importId!}`
        .execute(db)
        .then((r) => r.rows[0]!)
      const all = 2 * CHUNK_ROWS + 10
      if (discarded) {
        outcomes.discarded++
        if (uploaded.ok || !/removed while uploading/.test(uploaded.message))
          failed.push(`trial ${t}: discarded, but the upload answered ${JSON.stringify(uploaded)}`)
        if (left || stored) failed.push(`trial ${t}: discarded, but ${stored} rows are left`)
      } else {
        outcomes.stored++
        if (!uploaded.ok)
          failed.push(`trial ${t}: kept, but the upload failed: ${uploaded.message}`)
        if (left?.state !== 'uploaded' || left.total_rows !== all || stored !== all)
          failed.push(`trial ${t}: kept as ${JSON.stringify(left)} with ${stored} of ${all} rows`)
      }
    }
    console.log(`discard vs upload: ${JSON.stringify(outcomes)}, ${failed.length} failed`)
    expect(failed).toEqual([])
  })
})
