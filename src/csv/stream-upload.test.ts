// The streaming CSV upload (POST /imports/stream, what the upload page's script sends): the body is
// the file itself, parsed and stored in 1,000-row chunks as it arrives. A 100,000-row body is pulled
// lazily and never read far ahead of what is stored; the CSRF header, the size cap and the same
// validation as the multipart form apply.
import { describe, expect, it } from 'vitest'
import { TestBrowser } from '../../test/support/test-browser.js'
import { useTestApp } from '../../test/support/db.js'
import { signUpWithProject } from '../../test/support/fixtures.js'
import { MAX_UPLOAD_BYTES } from './upload.js'

const t = useTestApp()

/** Signed up with a project, on its upload page (whose CSRF token the stream sends). */
async function signedIn(email: string) {
  const signedUp = await signUpWithProject(t, email)
  await signedUp.b.get(`/imports/new?project=${signedUp.projectId}`)
  return signedUp
}

/** Sends `body` as import.js does: the raw file, text/csv, the token in X-CSRF-Token. */
async function stream(
  b: TestBrowser,
  query: string,
  body: BodyInit,
  headers: Record<string, string> = {},
) {
  const res = await b.request(`/imports/stream?${query}`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'text/csv',
      'X-CSRF-Token': b.csrf,
      Accept: 'application/json',
      ...headers,
    },
    duplex: 'half',
  } as RequestInit)
  return { ...res, json: JSON.parse(res.html || 'null') }
}

/** A byte stream pulled lazily: each pull makes the next piece, nothing is made ahead. */
function lazyStream(pieces: Iterator<string>, onPull?: () => void) {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        onPull?.()
        const next = pieces.next()
        if (next.done) c.close()
        else c.enqueue(encoder.encode(next.value))
      },
    },
    { highWaterMark: 0 },
  )
}

const importCount = async () => (await t.db.selectFrom('imports').select('id').execute()).length

describe('POST /imports/stream', () => {
  it('imports a 100,000-row body read as it arrives, never far ahead of the stored chunks', async () => {
    const { b, projectId } = await signedIn('streamer@example.com')
    const ROWS = 100_000
    const pad = (n: number, w: number) => String(n).padStart(w, '0')
    const row = (i: number) =>
      `p${pad(i, 6)}@stream.example,Person ${pad(i, 6)},paid,${pad(i % 50, 2)}\n`
    const rowBytes = row(0).length // every row has the same length
    function* pieces() {
      yield 'Email,Name,Status,MRR\n'
      for (let i = 0; i < ROWS; i += 250) {
        let s = ''
        for (let j = i; j < i + 250; j++) s += row(j)
        yield s
      }
    }
    let pulled = 0
    let aheadMax = 0
    const base = process.memoryUsage()
    const peak = { rss: base.rss, heapUsed: base.heapUsed, arrayBuffers: base.arrayBuffers }
    const it = pieces()
    t.statements.length = 0
    const body = lazyStream({
      next() {
        const next = it.next()
        if (!next.done) pulled += next.value.length
        // How far the server has read past what it has stored: bytes pulled minus the bytes of the
        // rows in chunks already INSERTed (every statement the server sent is in t.statements).
        const stored = t.statements.filter((s) =>
          s.startsWith('insert into "import_chunks"'),
        ).length
        aheadMax = Math.max(aheadMax, pulled - stored * 1000 * rowBytes)
        const m = process.memoryUsage()
        peak.rss = Math.max(peak.rss, m.rss)
        peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed)
        peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers)
        return next
      },
    })
    const res = await stream(b, `project=${projectId}&name=big.csv`, body)
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({
      ok: true,
      rows: ROWS,
      location: `/imports/${res.json.importId}`,
    })
    expect(res.location).toBe(res.json.location)

    const job = await t.db
      .selectFrom('imports')
      .select(['filename', 'total_rows', 'chunks', 'project_id'])
      .where('id', '=', res.json.importId)
      .executeTakeFirstOrThrow()
    expect(job).toEqual({
      filename: 'big.csv',
      total_rows: ROWS,
      chunks: 100,
      project_id: projectId,
    })
    expect(pulled).toBeGreaterThan(ROWS * rowBytes)
    // Buffering the body first (as parseBody does) would read all ~5 MB before storing a chunk.
    expect(aheadMax).toBeLessThan(200_000)
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
    console.info(
      `100k-row stream: ${mb(pulled)} MB sent, read ahead of storage at most ${mb(aheadMax)} MB; ` +
        `in this process (PGlite and uncollected garbage included, so a figure only) peak rss +${mb(peak.rss - base.rss)} MB, heapUsed +${mb(peak.heapUsed - base.heapUsed)} MB, ` +
        `arrayBuffers +${mb(peak.arrayBuffers - base.arrayBuffers)} MB`,
    )

    // The job is the same as a multipart upload's: its page shows the mapping step.
    const page = await b.get(res.json.location)
    expect(page.html).toContain('Map the columns')
    expect(page.html).toContain('100,000 data rows')
  })

  it('refuses a request without the CSRF header, before reading the body', async () => {
    const { b, projectId } = await signedIn('nocsrf@example.com')
    const before = await importCount()
    let pulls = 0
    const body = lazyStream(['email\nx@x.example\n'][Symbol.iterator](), () => pulls++)
    const res = await stream(b, `project=${projectId}&name=a.csv`, body, { 'X-CSRF-Token': '' })
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('forbidden')
    const wrong = await stream(b, `project=${projectId}&name=a.csv`, 'email\nx@x.example\n', {
      'X-CSRF-Token': 'x'.repeat(43),
    })
    expect(wrong.status).toBe(403)
    expect(await importCount()).toBe(before)
    expect(pulls).toBe(0)
  })

  it('answers 413 for a declared size over the cap without reading the body', async () => {
    const { b, projectId } = await signedIn('huge@example.com')
    let pulls = 0
    const body = lazyStream(['email\nx@x.example\n'][Symbol.iterator](), () => pulls++)
    const res = await stream(b, `project=${projectId}&name=a.csv`, body, {
      'Content-Length': String(MAX_UPLOAD_BYTES + 1),
    })
    expect(res.status).toBe(413)
    expect(res.json.error).toMatchObject({
      code: 'payload_too_large',
      message: 'The file is larger than 50 MB',
    })
    expect(pulls).toBe(0)
  })

  it('cuts off a body with no length at the cap with 413 and keeps nothing of it', async () => {
    const { b, projectId } = await signedIn('endless@example.com')
    const before = await importCount()
    // A header, a row, then blank lines (skipped by the parser, so cheap) until past the cap.
    const blank = '\n'.repeat(1024 * 1024)
    const head = 'email\nx@x.example\n'
    let sent = head.length
    function* pieces() {
      yield head
      for (;;) {
        sent += blank.length
        yield blank
      }
    }
    const res = await stream(b, `project=${projectId}&name=a.csv`, lazyStream(pieces()))
    expect(res.status).toBe(413)
    expect(res.json.error.code).toBe('payload_too_large')
    expect(sent).toBeGreaterThan(MAX_UPLOAD_BYTES)
    expect(sent).toBeLessThan(MAX_UPLOAD_BYTES + 3 * blank.length)
    expect(await importCount()).toBe(before)
  })

  it('validates like the multipart form: project, empty file, not CSV, media type', async () => {
    const { b, projectId } = await signedIn('checks@example.com')
    const { projectId: theirs } = await signedIn('someone-else@example.com')
    const before = await importCount()
    const csv = 'email\nx@x.example\n'

    const notMine = await stream(b, `project=${theirs}&name=a.csv`, csv)
    expect(notMine.status).toBe(400)
    expect(notMine.json.error).toMatchObject({
      code: 'validation_failed',
      message: 'Pick a project of yours.',
    })

    // A browser sends an empty file with Content-Length: 0; a body of unknown length that turns
    // out empty is told so by the parser.
    const empty = await stream(b, `project=${projectId}&name=a.csv`, '', { 'Content-Length': '0' })
    expect(empty.status).toBe(400)
    expect(empty.json.error.message).toBe('Choose a CSV file to upload.')
    const emptyStream = await stream(
      b,
      `project=${projectId}&name=a.csv`,
      lazyStream([][Symbol.iterator]()),
    )
    expect(emptyStream.status).toBe(400)
    expect(emptyStream.json.error.message).toBe('The file is empty: it needs a header row')

    const broken = await stream(b, `project=${projectId}&name=a.csv`, 'email\n"never closed\n')
    expect(broken.status).toBe(400)
    expect(broken.json.error.message).toContain('not valid CSV')

    const headerOnly = await stream(b, `project=${projectId}&name=a.csv`, 'email\n')
    expect(headerOnly.status).toBe(400)
    expect(headerOnly.json.error.message).toBe('The file has a header row but no data rows')

    const json = await stream(b, `project=${projectId}&name=a.csv`, '{}', {
      'Content-Type': 'application/json',
    })
    expect(json.status).toBe(415)
    expect(await importCount()).toBe(before)
  })

  it('is for signed-in users only', async () => {
    const anon = new TestBrowser(t.app)
    await anon.get('/login')
    const res = await stream(anon, 'project=1&name=a.csv', 'email\nx@x.example\n')
    expect(res.status).toBe(303)
    expect(res.location).toMatch(/^\/login\?next=/)
    expect(
      await t.db.selectFrom('imports').select('id').where('filename', '=', 'a.csv').execute(),
    ).toEqual([])
  })
})
