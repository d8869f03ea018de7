// Every dashboard page in Chromium at 1280 and 390 px wide: zero serious or critical axe-core
// violations, and a screenshot of each kept under test-artifacts/pages/ (with axe.json, the
// findings per page and width). Along the way, Post/Redirect/Get as a person meets it: a reload
// after Create project, Rotate key or Create token repeats nothing and shows the key no more;
// rotate and revoke ask first. And the Node server's compression and asset caching.
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  createProject,
  identify,
  newPage,
  screenshot,
  seriousViolations,
  startServer,
  type AxeViolation,
  type RunningServer,
} from './harness.js'
import { launchChromium } from '../support/chromium.js'

const DIR = join(process.cwd(), 'test-artifacts', 'pages')
const WIDTHS = [
  { label: '1280', width: 1280, height: 800 },
  { label: '390', width: 390, height: 844 },
] as const

let server: RunningServer
let browser: Browser
const findings: { page: string; width: string; violations: AxeViolation[] }[] = []

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
})
afterAll(async () => {
  mkdirSync(DIR, { recursive: true })
  writeFileSync(join(DIR, 'axe.json'), JSON.stringify(findings, null, 2) + '\n')
  await browser?.close()
  await server?.stop()
})

/** Screenshot and axe for the page once its own requests have answered (the customers page asks
 *  for its rail of views after it loads); the violations are kept for the report. */
async function audit(page: Page, name: string, width: string) {
  await page.waitForLoadState('networkidle')
  await screenshot(page, `${name}-${width}`, DIR)
  const violations = await seriousViolations(page)
  findings.push({ page: name, width, violations })
  return violations
}

/** The same page at both widths: one context per width, signed in as the desktop one is. */
async function auditBoth(contexts: Record<string, Page>, name: string, path: string) {
  const seen: Record<string, AxeViolation[]> = {}
  for (const { label } of WIDTHS) {
    const page = contexts[label]!
    const res = await page.goto(server.url + path)
    expect(res?.status(), `${name} ${label}`).toBeLessThan(path === '/nope' ? 500 : 400)
    seen[label] = await audit(page, name, label)
    // Nothing wider than the screen.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    )
    expect(overflow, `${name} at ${label} px scrolls sideways`).toBeLessThanOrEqual(0)
  }
  return seen
}

const keyOf = async (page: Page) => (await page.getByTestId('new-key').textContent())!.trim()

/** A customer's id, read from the table's row for them (fetched with the page's session). */
async function customerId(page: Page, email: string): Promise<number> {
  const id = await page.evaluate(
    async (url) => {
      const html = await (await fetch(url, { headers: { Accept: 'text/html' } })).text()
      return /data-customer-id="(\d+)"/.exec(html)?.[1]
    },
    `${server.url}/customers?q=${encodeURIComponent(email)}`,
  )
  expect(id, email).toBeDefined()
  return Number(id)
}

let desktop: { page: Page; context: BrowserContext; problems: string[] }
let phone: { page: Page; context: BrowserContext; problems: string[] }
let projectA = 0
let keyA = ''

it('sends the first visit to Sign up, and the signed-out pages pass axe at both widths', async () => {
  desktop = await newPage(browser, WIDTHS[0])
  phone = await newPage(browser, WIDTHS[1])
  await desktop.page.goto(server.url + '/')
  expect(new URL(desktop.page.url()).pathname).toBe('/signup')
  const byWidth = { '1280': desktop.page, '390': phone.page }
  const signup = await auditBoth(byWidth, 'signup', '/signup')
  expect(signup).toEqual({ '1280': [], '390': [] })

  await desktop.page.getByLabel('Email').fill('pages@example.com')
  await desktop.page.getByLabel('Password').fill('correct horse battery')
  await desktop.page.getByRole('button', { name: 'Sign up' }).click()
  await desktop.page.waitForURL(server.url + '/projects')
  // With an account on the server, the phone (signed out) gets the log-in page.
  const login = await auditBoth(byWidth, 'login', '/login')
  expect(login).toEqual({ '1280': [], '390': [] })
  await phone.context.addCookies(await desktop.context.cookies())
  const firstRun = await auditBoth(byWidth, 'projects-first-run', '/projects')
  expect(firstRun).toEqual({ '1280': [], '390': [] })
})

it('creates a project once: the key shows after the redirect, and a reload makes no duplicate', async () => {
  const { page } = desktop
  await page.getByLabel('Name').fill('App A')
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.waitForURL(/\/projects\/\d+$/)
  projectA = Number(/\/projects\/(\d+)$/.exec(page.url())![1])
  keyA = await keyOf(page)
  expect(keyA).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
  await expect(page.getByTestId('flash').textContent()).resolves.toContain('Created App A.')
  expect(await audit(page, 'project-new-key', '1280')).toEqual([])

  await page.reload()
  expect(await page.getByTestId('new-key').count()).toBe(0)
  expect(await page.getByTestId('flash').count()).toBe(0)
  await page.goto(server.url + '/projects')
  await expect(page.locator('.project-item').count()).resolves.toBe(1)

  // A second project, and the warning a third with the same name gets.
  await page.getByLabel('Name').fill('App B')
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.waitForURL(/\/projects\/\d+$/)
  const keyB = await keyOf(page)
  await page.goto(server.url + '/projects')
  await page.getByLabel('Name').fill('app b')
  await page.getByRole('button', { name: 'Create project' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toContain(
    'You already have a project named App B',
  )
  expect(await audit(page, 'projects-duplicate-name', '1280')).toEqual([])
  await page.goto(server.url + '/projects')
  await expect(page.locator('.project-item').count()).resolves.toBe(2)
  await expect(page.locator('.project-slug').allTextContents()).resolves.toEqual(['app-a', 'app-b'])

  // Customers for the pages that show them.
  for (let i = 0; i < 12; i++) {
    const email = `person${i}@example.com`
    const a = await identify(server.url, keyA, {
      email,
      name: `Person ${i}`,
      status: ['free', 'trial', 'paid', 'churned'][i % 4],
      params: { plan: i % 2 ? 'pro' : 'basic', mrr: i * 10 },
    })
    expect(a.status).toBe(200)
    if (i % 3 === 0) await identify(server.url, keyB, { email, status: 'paid' })
  }
})

it('rotates only after confirming; a reload keeps the key just shown working and shows it no more', async () => {
  const { page } = phone
  await page.goto(`${server.url}/projects/${projectA}`)
  await page.getByRole('button', { name: 'Rotate key…' }).click()
  const dialog = page.getByRole('dialog', { name: /Rotate the key of App A/ })
  await dialog.waitFor()
  expect(await audit(page, 'project-confirm-rotate', '390')).toEqual([])
  // Cancel does nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await dialog.waitFor({ state: 'hidden' })
  expect((await identify(server.url, keyA, { email: 'person0@example.com' })).status).toBe(200)

  await page.getByRole('button', { name: 'Rotate key…' }).click()
  await dialog.getByRole('button', { name: 'Rotate key' }).click()
  await page.waitForURL(`${server.url}/projects/${projectA}`)
  const rotated = await keyOf(page)
  expect(rotated).not.toBe(keyA)
  expect(await audit(page, 'project-new-key', '390')).toEqual([])
  expect((await identify(server.url, keyA, { email: 'person0@example.com' })).status).toBe(403)

  await page.reload()
  expect(await page.getByTestId('new-key').count()).toBe(0)
  expect(await page.content()).not.toContain(rotated)
  expect((await identify(server.url, rotated, { email: 'person0@example.com' })).status).toBe(200)

  // Revoke asks too; the message says which key went.
  const revoke = page.getByRole('button', { name: /^Revoke key tcrm_proj_/ })
  await expect(revoke.count()).resolves.toBe(1)
  await revoke.click()
  await page.getByRole('dialog', { name: /Revoke the key/ }).waitFor()
  await page.getByRole('button', { name: 'Revoke key', exact: true }).click()
  await page.waitForURL(`${server.url}/projects/${projectA}`)
  await expect(page.getByTestId('flash').textContent()).resolves.toContain('Revoked the key')
  expect((await identify(server.url, rotated, { email: 'person0@example.com' })).status).toBe(403)
  // A new key for the rest of the run.
  await page.getByRole('button', { name: 'Add a key' }).click()
  keyA = await keyOf(page)
})

it('shows a new API token once after the redirect, and revokes only after confirming', async () => {
  const { page } = desktop
  await page.goto(server.url + '/settings/tokens')
  await page.getByLabel('Name (what uses it)').fill('weekly export')
  await page.getByRole('button', { name: 'Create token' }).click()
  await page.waitForURL(server.url + '/settings/tokens')
  const token = (await page.getByTestId('new-token').textContent())!.trim()
  expect(token).toMatch(/^tcrm_acct_/)
  // Its Copy button puts exactly the token on the clipboard.
  await desktop.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: server.url,
  })
  await page
    .getByTestId('new-token')
    .locator('xpath=..')
    .getByRole('button', { name: 'Copy' })
    .click()
  await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(token)
  expect(await audit(page, 'tokens-new-token', '1280')).toEqual([])
  await page.reload()
  expect(await page.content()).not.toContain(token)
  await expect(page.locator('.keys-table tbody tr').count()).resolves.toBe(1)
  const api = await fetch(server.url + '/v1/customers', {
    headers: { Authorization: `Bearer ${token}` },
  })
  expect(api.status).toBe(200)

  await page.getByRole('button', { name: /^Revoke token weekly export/ }).click()
  await page.getByRole('dialog', { name: /Revoke the token/ }).waitFor()
  expect(await audit(page, 'tokens-confirm-revoke', '1280')).toEqual([])
  await page.getByRole('button', { name: 'Revoke token', exact: true }).click()
  await expect(page.getByTestId('flash').textContent()).resolves.toContain(
    'Revoked the token “weekly export”',
  )
  await page.getByLabel('Name (what uses it)').fill('nightly sync')
  await page.getByRole('button', { name: 'Create token' }).click()
  await page.getByTestId('new-token').waitFor()
})

it('imports a file: every step of the way passes axe at both widths', async () => {
  const { page } = desktop
  await page.goto(`${server.url}/imports/new?project=${projectA}`)
  const csv =
    'Email,Name,Status,MRR (USD),Signed up\r\n' +
    'person1@example.com,Person 1,trial,10,2026-01-05\r\n' +
    'new@example.com,New Person,paid,99,2026-02-01\r\n' +
    'broken,Nobody,free,1,2026-01-01\r\n'
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await page.getByRole('button', { name: 'Upload and map columns' }).click()
  await page.getByRole('heading', { name: 'Map the columns' }).waitFor()
  await expect(page.getByLabel('Param name for MRR (USD)').inputValue()).resolves.toBe('mrr_usd')
  const jobPath = new URL(page.url()).pathname
  expect(await auditBoth(bothPages(), 'import-mapping', jobPath)).toEqual({
    '1280': [],
    '390': [],
  })

  await page.getByRole('button', { name: 'Dry run', exact: true }).click()
  await page.getByRole('heading', { name: 'Dry run', exact: true }).waitFor()
  // The preview is a table of the mapped columns, as they will be stored.
  const head = await page.locator('.preview-table thead th').allTextContents()
  expect(head).toEqual(['Line', 'Email', 'Name', 'Status', 'mrr_usd number', 'First seen'])
  expect(await auditBoth(bothPages(), 'import-dry-run', jobPath)).toEqual({
    '1280': [],
    '390': [],
  })
  await page.getByRole('button', { name: /^Import 2 rows$/ }).click()
  await page.getByRole('heading', { name: 'Import finished' }).waitFor()
  expect(await auditBoth(bothPages(), 'import-done', jobPath)).toEqual({ '1280': [], '390': [] })
  const upload = await auditBoth(bothPages(), 'import-new', '/imports/new')
  expect(upload).toEqual({ '1280': [], '390': [] })
  await expect(page.locator('.imports-table tbody tr').count()).resolves.toBe(1)
})

function bothPages(): Record<string, Page> {
  return { '1280': desktop.page, '390': phone.page }
}

it('every other page passes axe at 1280 and 390 px, with a screenshot of each', async () => {
  const person = await customerId(desktop.page, 'person1@example.com')
  // What must not push a page wider than the screen: a long project name on the customer's
  // badge, and long unbroken values in their history.
  const longName = 'A product with a rather long name that keeps going and going on'
  const keyLong = await createProject(desktop.page, server.url, longName)
  await identify(server.url, keyLong, { email: 'person1@example.com', status: 'trial' })
  const long = {
    url: `https://${'u'.repeat(300)}.example`,
    [`k${'x'.repeat(300)}`]: 'L'.repeat(2000),
  }
  await identify(server.url, keyA, { email: 'person1@example.com', params: long })
  await identify(server.url, keyA, { email: 'person1@example.com', params: { url: 'short' } })
  const pages: [string, string][] = [
    ['projects', '/projects'],
    ['project', `/projects/${projectA}`],
    ['project-delete', `/projects/${projectA}/delete`],
    ['tokens', '/settings/tokens'],
    ['customers', '/customers'],
    ['customer', `/customers/${person}`],
    ['customer-manage', `/customers/${person}/manage`],
    ['not-found', '/nope'],
  ]
  const all: Record<string, Record<string, AxeViolation[]>> = {}
  for (const [name, path] of pages) all[name] = await auditBoth(bothPages(), name, path)
  const failing = Object.entries(all).flatMap(([name, byWidth]) =>
    Object.entries(byWidth).flatMap(([width, v]) =>
      v.map((x) => `${name} @${width}: ${x.impact} ${x.id} (${x.help}) at ${x.targets.join(', ')}`),
    ),
  )
  expect(failing).toEqual([])
  expect(unexpected(desktop.problems)).toEqual([])
  expect(unexpected(phone.problems)).toEqual([])
})

/** The console errors a page run may show by design: the duplicate-name warning answers 409, and
 *  /nope is a 404. Anything else (a CSP violation, a missing asset, a 500) is a problem. */
function unexpected(problems: string[]): string[] {
  return problems.filter(
    (p) => !/status of (409 \(Conflict\) \(\S+\/projects|404 \(Not Found\) \(\S+\/nope)\)$/.test(p),
  )
}

it('connects billing: the URL shown once, the connection at both widths, disconnect asks first', async () => {
  const { page } = desktop
  await page.goto(`${server.url}/projects/${projectA}`)
  await page.getByRole('button', { name: 'Connect Stripe' }).click()
  await page.getByTestId('webhook-url').waitFor()
  expect(await audit(page, 'project-billing-connected', '1280')).toEqual([])
  const path = `/projects/${projectA}`
  expect(await auditBoth(bothPages(), 'project-billing', path)).toEqual({ '1280': [], '390': [] })

  await page.getByLabel('No signing secret yet: paste it').fill('whsec_0123456789abcdefghijkl')
  await page.getByRole('button', { name: 'Save secret' }).click()
  await expect(page.getByTestId('flash').textContent()).resolves.toContain(
    'Saved the signing secret',
  )
  await page.getByRole('button', { name: 'Disconnect Stripe' }).click()
  const dialog = page.getByRole('dialog', { name: 'Disconnect Stripe?' })
  await dialog.waitFor()
  expect(await audit(page, 'project-confirm-disconnect', '1280')).toEqual([])
  await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click()
  await expect(page.getByTestId('flash').textContent()).resolves.toContain('Disconnected')
  await expect(page.locator('.connection').count()).resolves.toBe(0)
})

it('merges and deletes with a message saying what happened, the merge with Undo', async () => {
  const { page } = desktop
  const person = await customerId(page, 'person2@example.com')
  await page.goto(`${server.url}/customers/${person}/manage`)
  await page.getByLabel("The other customer's email").fill('person3@example.com')
  await page.getByRole('button', { name: 'Merge', exact: true }).click()
  await page.waitForURL(`${server.url}/customers/${person}`)
  await expect(page.getByTestId('flash').textContent()).resolves.toContain(
    'Merged person3@example.com into person2@example.com.',
  )
  expect(await audit(page, 'customer-merged', '1280')).toEqual([])
  await page.getByTestId('flash').getByRole('button', { name: 'Undo' }).click()
  await expect(page.getByTestId('flash').textContent()).resolves.toContain(
    'person3@example.com is a customer of its own again',
  )

  await page.goto(`${server.url}/customers/${person}/manage`)
  await page.getByLabel('Type person2@example.com to confirm').fill('person2@example.com')
  await page.getByRole('button', { name: 'Delete for good' }).click()
  await page.waitForURL(/\/customers$/)
  await expect(page.getByTestId('flash').textContent()).resolves.toContain(
    'Deleted person2@example.com from every project',
  )
})

it('compresses pages and lets browsers keep versioned assets (Node)', async () => {
  const res = await fetch(server.url + '/login', {
    headers: { Accept: 'text/html', 'Accept-Encoding': 'gzip' },
    redirect: 'manual',
  })
  expect(res.headers.get('content-encoding')).toBe('gzip')
  const html = await res.text()
  const css = /href="(\/assets\/app\.css\?v=[0-9a-f]+)"/.exec(html)?.[1]
  expect(css).toBeDefined()
  const versioned = await fetch(server.url + css)
  expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  const plain = await fetch(server.url + '/assets/app.css')
  expect(plain.headers.get('cache-control')).toBe('no-cache')
  const etag = plain.headers.get('etag')!
  const again = await fetch(server.url + '/assets/app.css', { headers: { 'If-None-Match': etag } })
  expect(again.status).toBe(304)
})
