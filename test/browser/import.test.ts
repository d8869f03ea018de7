// In Chromium against the real server: importing a CSV from the dashboard. Upload a 3,000-row
// file (streamed by import.js as the raw request body), keep the suggested mapping, watch the dry run and the import advance (the progress section
// is swapped by htmx polls), then find the customers in the table and export them.
import { expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createProject, newPage, screenshot, signUp, useLiveApp } from './harness.js'

const live = useLiveApp()

const ROWS = 3_000 // three chunks: enough steps for the progress to be seen moving

/** Reads the progress text until `done` shows, returning every distinct value seen. */
async function watchProgress(page: Page, done: string) {
  const seen: string[] = []
  for (let i = 0; i < 600; i++) {
    if (
      await page
        .getByText(done)
        .first()
        .isVisible()
        .catch(() => false)
    )
      return seen
    const text = await page
      .getByTestId('progress-text')
      .textContent({ timeout: 100 })
      .catch(() => null)
    if (text && seen.at(-1) !== text) seen.push(text.trim())
    await page.waitForTimeout(100)
  }
  throw new Error(`never saw "${done}"; progress seen: ${seen.join(' | ')}`)
}

const n = (x: number) => x.toLocaleString('en')
const rowsDone = (text: string) => Number(/^([\d,]+) of/.exec(text)![1]!.replace(/,/g, ''))

it('imports a CSV with a live progress indicator and a dry run first', async () => {
  const { page, problems } = await newPage(live.browser)
  const base = live.server.url
  await signUp(page, base, 'importer@example.com')
  await createProject(page, base, 'App A')

  await page.goto(base + '/customers')
  await page.getByRole('link', { name: 'Import CSV' }).click()
  let csv = 'Email,Name,Status,Plan,MRR\r\n'
  for (let i = 0; i < ROWS; i++)
    csv += `person${i}@bulk.example,"Person ${i}",${i % 4 ? 'free' : 'paid'},pro,${i % 50}\r\n`
  csv += 'not-an-email,Broken,free,pro,1\r\n'
  await page
    .getByLabel(/CSV file/)
    .setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  // With JS the file goes as the raw request body to the streaming route, not as a multipart form.
  const posts: string[] = []
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(new URL(r.url()).pathname)
  })
  const sent = page.waitForRequest(
    (r) => r.method() === 'POST' && r.url().includes('/imports/stream'),
  )
  await page.getByRole('button', { name: 'Upload and map columns' }).click()
  const upload = await sent
  expect(upload.headers()['content-type']).toBe('text/csv')
  expect(upload.headers()['x-csrf-token']).toMatch(/^[0-9a-f]{43}$/)
  expect(new URL(upload.url()).searchParams.get('name')).toBe('people.csv')
  expect((await upload.response())!.status()).toBe(201)
  await page.getByRole('heading', { name: 'Map the columns' }).waitFor()
  expect(posts).toEqual(['/imports/stream'])
  await expect(page.getByLabel('Column MRR goes to').inputValue()).resolves.toBe('param')
  await expect(page.getByLabel('Type of MRR').inputValue()).resolves.toBe('number')
  // The param's name is suggested from the header, as a param key is usually written.
  await expect(page.getByLabel('Param name for MRR').inputValue()).resolves.toBe('mrr')
  await screenshot(page, 'import-01-mapping')

  await page.getByRole('button', { name: 'Dry run', exact: true }).click()
  const dry = await watchProgress(page, 'would be created')
  await expect(page.getByTestId('counts').textContent()).resolves.toMatch(
    new RegExp(`${n(ROWS)} would be created.*1 would be rejected`),
  )
  await expect(
    page.getByText(`Line ${ROWS + 2}: email is not a valid email address`).isVisible(),
  ).resolves.toBe(true)
  await screenshot(page, 'import-02-dry-run')

  await page.getByRole('button', { name: `Import ${n(ROWS)} rows`, exact: true }).click()
  const progress = await watchProgress(page, 'Import finished')
  await expect(page.getByTestId('counts').textContent()).resolves.toMatch(`${n(ROWS)} created`)
  await screenshot(page, 'import-03-done')

  // The progress indicator moved while the import ran: values seen between start and end, rising.
  const values = progress.map(rowsDone)
  expect(values.length).toBeGreaterThan(0)
  expect(values.some((v) => v > 0 && v < ROWS)).toBe(true)
  expect([...values].sort((a, b) => a - b)).toEqual(values)
  expect(dry.length + progress.length).toBeGreaterThan(1)

  const rejects = await page.request.get(base + page.url().replace(base, '') + '/rejects.csv')
  expect(await rejects.text()).toContain(
    `${ROWS + 2},email is not a valid email address,not-an-email`,
  )

  await page.goto(base + '/customers?p=mrr:eq:49')
  await expect(page.getByTestId('segment-count').textContent()).resolves.toBe(String(ROWS / 50))
  const exported = await page.request.get(base + '/customers/export.csv?p=mrr:eq:49')
  expect((await exported.text()).trim().split('\r\n')).toHaveLength(ROWS / 50 + 1)
  expect(problems).toEqual([])
})

it('falls back to the multipart form without JS, and shows a refused file on the page with JS', async () => {
  const context = await live.browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  const base = live.server.url
  await signUp(page, base, 'nojs-importer@example.com')
  await createProject(page, base, 'App B')
  await page.goto(base + '/imports/new')
  const csv = 'email,name\r\nann@nojs.example,Ann\r\n'
  await page
    .getByLabel(/CSV file/)
    .setInputFiles({ name: 'few.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  const sent = page.waitForRequest((r) => r.method() === 'POST')
  await page.getByRole('button', { name: 'Upload and map columns' }).click()
  const upload = await sent
  expect(new URL(upload.url()).pathname).toBe('/imports')
  expect(upload.headers()['content-type']).toMatch(/^multipart\/form-data/)
  await page.getByRole('heading', { name: 'Map the columns' }).waitFor()
  const cookies = await context.cookies()
  await context.close()

  // Same session with JS: a file that is not CSV is refused and the reason shows on the form.
  const js = await newPage(live.browser)
  await js.context.addCookies(cookies)
  await js.page.goto(base + '/imports/new')
  const broken = 'email\n"never closed\n'
  await js.page
    .getByLabel(/CSV file/)
    .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) })
  await js.page.getByRole('button', { name: 'Upload and map columns' }).click()
  await expect(js.page.getByRole('alert').textContent()).resolves.toBeTruthy()
  await js.page.getByText(/not valid CSV/).waitFor()
  expect(js.page.url()).toBe(base + '/imports/new')
  await expect(
    js.page.getByRole('button', { name: 'Upload and map columns' }).isEnabled(),
  ).resolves.toBe(true)
  // The 400 answer is the refusal itself; nothing else went wrong on the page.
  expect(js.problems.filter((p) => !p.includes('400'))).toEqual([])
  await js.context.close()
})
