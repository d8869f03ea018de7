// An upload that stops arriving (the browser closed, the connection or the server gone mid-file)
// never finishes. Once no byte of it has arrived for 15 minutes it shows as interrupted, in the
// list and on its page, with a way to remove it; the sweep removes it and its rows too. A slow
// upload whose bytes keep arriving is not interrupted, however long ago it started: the time is
// set in the database, no test waits for the clock.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { TestBrowser } from '../../test/support/test-browser.js'
import { useTestApp } from '../../test/support/db.js'
import { signUpWithProject } from '../../test/support/fixtures.js'
import { expireAbandonedImports } from './retention.js'

const t = useTestApp()

/** A file the test sends piece by piece, as a slow (or dead) connection would. */
function heldBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
  return {
    body,
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
  }
}

const rows = (from: number, to: number) =>
  Array.from(
    { length: to - from },
    (_, i) => `p${from + i}@slow.example,Person ${from + i}\n`,
  ).join('')

/** Starts a streaming upload (as import.js sends it) that waits for `held` to be sent and ended. */
async function startUpload(b: TestBrowser, projectId: number, held: ReturnType<typeof heldBody>) {
  await b.get(`/imports/new?project=${projectId}`)
  const answer = b.request(`/imports/stream?project=${projectId}&name=slow.csv`, {
    method: 'POST',
    body: held.body,
    headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': b.csrf, Accept: 'application/json' },
    duplex: 'half',
  } as RequestInit)
  // 1,500 rows: the import exists and its first chunk is stored.
  held.send('Email,Name\n' + rows(0, 1500))
  for (let i = 0; i < 200 && (await chunksOf(projectId)) < 1; i++) await tick()
  const { id } = await t.db
    .selectFrom('imports')
    .select('id')
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow()
  return { id, answer }
}

const tick = () => new Promise((r) => setTimeout(r, 5))

async function chunksOf(projectId: number) {
  const { n } = await t.db
    .selectFrom('import_chunks as ch')
    .innerJoin('imports as i', 'i.id', 'ch.import_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('i.project_id', '=', projectId)
    .executeTakeFirstOrThrow()
  return Number(n)
}

/** The last bytes of the upload arrived `minutes` ago; it started `started` minutes ago. */
const lastProgress = (id: number, minutes: number, started = minutes) =>
  t.db
    .updateTable('imports')
    .set({
      progress_at: sql`now() - make_interval(mins => ${minutes})`,
      created_at: sql`now() - make_interval(mins => ${started})`,
    })
    .where('id', '=', id)
    .execute()

const listed = async (b: TestBrowser) => (await b.get('/imports/new')).html

describe('an upload that stops arriving', () => {
  it('shows as uploading while it arrives, then as interrupted, removable, its rows gone', async () => {
    const { b, projectId } = await signUpWithProject(t, 'dropped@example.com')
    const held = heldBody()
    const { id, answer } = await startUpload(b, projectId, held)

    expect(await listed(b)).toContain('Still uploading')
    expect(await listed(b)).not.toContain('Upload interrupted')
    // Its page offers no mapping of a half-arrived file, and a dry run of it is refused.
    const page = (await b.get(`/imports/${id}`)).html
    expect(page).toContain('still arriving')
    expect(page).not.toContain('Map the columns')
    expect((await b.post(`/imports/${id}/mapping`, { target_0: 'email' })).status).toBe(409)

    // Nothing for 14 minutes is still alive; for 16, interrupted.
    await lastProgress(id, 14)
    expect(await listed(b)).not.toContain('Upload interrupted')
    expect((await b.post(`/imports/${id}/discard`)).status).toBe(409)
    await lastProgress(id, 16)
    const list = await listed(b)
    expect(list).toContain('Upload interrupted')
    expect(list).toContain('The file stopped arriving before its end')
    expect(list).toContain(`action="/imports/${id}/discard"`)
    expect((await b.get(`/imports/${id}`)).html).toContain('Upload interrupted')

    const removed = await b.post(`/imports/${id}/discard`)
    expect(removed.status).toBe(303)
    expect(removed.location).toBe('/imports/new')
    expect(await t.db.selectFrom('imports').select('id').where('id', '=', id).execute()).toEqual([])
    expect(await chunksOf(projectId)).toBe(0)
    expect(await listed(b)).not.toContain('slow.csv')

    // Were the connection alive after all, the rest of the file has nowhere to go: said, not a 500.
    held.send(rows(1500, 3000))
    held.end()
    const res = await answer
    expect(res.status).toBe(404)
    expect(JSON.parse(res.html).error.message).toMatch(/removed while uploading/)
    expect(await chunksOf(projectId)).toBe(0)
  })

  it('is swept with its rows once interrupted; a slow upload whose bytes keep arriving is not', async () => {
    const { b, projectId } = await signUpWithProject(t, 'sweep-stalled@example.com')
    const stalled = await startUpload(b, projectId, heldBody())
    const { b: b2, projectId: p2 } = await signUpWithProject(t, 'sweep-slow@example.com')
    const slow = heldBody()
    const alive = await startUpload(b2, p2, slow)
    await lastProgress(stalled.id, 16)
    // Started two hours ago, its last bytes a minute ago.
    await lastProgress(alive.id, 1, 120)

    expect(await expireAbandonedImports(t.db)).toBe(1)
    expect(await chunksOf(projectId)).toBe(0)
    expect(await chunksOf(p2)).toBe(1)
    expect(await listed(b2)).toContain('Still uploading')

    // Its bytes keep it alive: each MiB that arrives is progress, even after a long silence.
    await lastProgress(alive.id, 16, 120)
    slow.send(rows(1500, 40_000)) // ~1.2 MB more
    for (let i = 0; i < 400 && (await chunksOf(p2)) < 40; i++) await tick()
    expect(await listed(b2)).not.toContain('Upload interrupted')
    slow.end()
    const res = await alive.answer
    expect(res.status).toBe(201)
    expect(JSON.parse(res.html)).toMatchObject({ rows: 40_000 })
    const done = await b2.get(`/imports/${alive.id}`)
    expect(done.html).toContain('Map the columns')
    expect(await expireAbandonedImports(t.db)).toBe(0)
  })
})
