// In Chromium against the real server: a form the server refuses (a typo in the other email, the
// wrong confirmation, a project name already taken, an API key pasted as a signing secret) answers
// like one it accepts, 303 to a page that says why (Post/Redirect/Get).
// Reload and Back then load that page again with a GET: the browser never offers to send the form
// a second time ("Confirm form resubmission"), and nothing is posted twice.
import { beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { identify, newPage, signedUpAccount, useLiveApp, type Cookies } from './harness.js'

const live = useLiveApp()
let cookies: Cookies

beforeAll(async () => {
  cookies = await signedUpAccount(live, 'refused@example.com', ['App A'], async (base, [a]) => {
    await identify(base, a!, { email: 'kept@x.io', status: 'paid' })
  })
}, 300_000)

/** The customer's id, from its row in the table. */
async function customerId(page: Page, email: string) {
  await page.goto(`${live.server.url}/customers?q=${encodeURIComponent(email)}`)
  const href = await page.locator(`a[href^="/customers/"]`, { hasText: email }).getAttribute('href')
  return Number(/\/customers\/(\d+)/.exec(href!)![1])
}

/** Counts the form posts the page sends from now on, and the status each was answered. */
function postsOf(page: Page) {
  const answers: number[] = []
  page.on('response', (res) => {
    if (res.request().method() === 'POST') answers.push(res.status())
  })
  return answers
}

it('a refused merge redirects to its page, which names the field and why; reload and Back post nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  const id = await customerId(page, 'kept@x.io')
  const manage = `${live.server.url}/customers/${id}/manage`
  await page.goto(manage)
  const posts = postsOf(page)
  const other = page.getByLabel("The other customer's email")
  await other.fill('nobody@x.io')
  await page.getByLabel('the other one').check()
  await page.getByRole('button', { name: 'Merge', exact: true }).click()
  await page.waitForURL(manage)
  await expect.poll(() => posts).toEqual([303])
  // The error sits at the field it is about, which keeps what was typed, and the choice made.
  await expect(other.getAttribute('aria-invalid')).resolves.toBe('true')
  const error = page.locator(`#${await other.getAttribute('aria-describedby')}`)
  await expect(error.textContent()).resolves.toBe(
    'No customer with the email nobody@x.io in your account.',
  )
  await expect(other.inputValue()).resolves.toBe('nobody@x.io')
  await expect(page.getByLabel('the other one').isChecked()).resolves.toBe(true)
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.id))
    .toBe(await other.getAttribute('id'))

  await page.reload()
  expect(page.url()).toBe(manage)
  await page.getByRole('link', { name: 'kept@x.io' }).click()
  await page.waitForURL(`${live.server.url}/customers/${id}`)
  await page.goBack()
  await page.waitForURL(manage)
  await expect(page.getByRole('heading', { name: 'Merge, undo or delete' }).count()).resolves.toBe(
    1,
  )
  expect(posts).toEqual([303])
  expect(problems).toEqual([])
})

it('a refused delete redirects to its page, which names the field and why; reload and Back post nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  const id = await customerId(page, 'kept@x.io')
  const manage = `${live.server.url}/customers/${id}/manage`
  await page.goto(manage)
  const posts = postsOf(page)
  const confirm = page.getByLabel('Type kept@x.io to confirm')
  await confirm.fill('kept@x.com')
  await page.getByRole('button', { name: 'Delete for good' }).click()
  await page.waitForURL(manage)
  await expect.poll(() => posts).toEqual([303])
  await expect(confirm.getAttribute('aria-invalid')).resolves.toBe('true')
  const error = page.locator(`#${await confirm.getAttribute('aria-describedby')}`)
  await expect(error.textContent()).resolves.toBe(
    'Type the customer’s email exactly to confirm the deletion.',
  )

  await page.reload()
  await page
    .getByRole('navigation', { name: 'Breadcrumb' })
    .getByRole('link', { name: 'Customers' })
    .click()
  await page.waitForURL(/\/customers$/)
  await page.goBack()
  await page.waitForURL(manage)
  expect(posts).toEqual([303])
  // Nothing was deleted.
  await page.goto(`${live.server.url}/customers/${id}`)
  await expect(page.getByRole('heading', { name: 'kept@x.io' }).count()).resolves.toBe(1)
  expect(problems).toEqual([])
})

it('a project name already taken redirects to the projects page, which warns at the name field; reload and Back post nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  const projects = `${live.server.url}/projects`
  await page.goto(projects)
  const posts = postsOf(page)
  const name = page.getByLabel('Name')
  await name.fill(' app a ')
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.waitForURL(projects)
  await expect.poll(() => posts).toEqual([303])
  await expect(name.getAttribute('aria-invalid')).resolves.toBe('true')
  const warning = page.locator(`#${await name.getAttribute('aria-describedby')}`)
  await expect(warning.textContent()).resolves.toContain('You already have a project named App A')
  await expect(name.inputValue()).resolves.toBe(' app a ')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')))
    .toBe('name')
  await expect(page.getByRole('button', { name: 'Create “app a” anyway' }).count()).resolves.toBe(1)

  await page.reload()
  expect(page.url()).toBe(projects)
  await page.getByRole('link', { name: 'Settings & keys of App A' }).click()
  await page.waitForURL(/\/projects\/\d+$/)
  await page.goBack()
  await page.waitForURL(projects)
  expect(posts).toEqual([303])
  // Still one project.
  await expect(page.locator('.project-item').count()).resolves.toBe(1)
  expect(problems).toEqual([])
})

it('an API key pasted as a billing signing secret redirects to the project’s page, saying why at the field without the key; reload and Back post nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  await page.goto(`${live.server.url}/projects`)
  await page.getByRole('link', { name: 'Settings & keys of App A' }).click()
  await page.waitForURL(/\/projects\/\d+$/)
  const project = page.url()
  const posts = postsOf(page)
  const secret = page.getByLabel('Signing secret (now')
  const products = page.getByLabel('Products (optional)')
  await secret.fill(`sk_live_${'a'.repeat(30)}`)
  await products.fill('prod_Alpha1')
  await page.getByRole('button', { name: 'Connect Stripe' }).click()
  await page.waitForURL(project)
  await expect.poll(() => posts).toEqual([303])
  await expect(secret.getAttribute('aria-invalid')).resolves.toBe('true')
  const [errorId] = (await secret.getAttribute('aria-describedby'))!.split(' ')
  await expect(page.locator(`#${errorId}`).textContent()).resolves.toContain(
    'signingSecret is a Stripe API key',
  )
  // The key is asked for again, never sent back; the product ids typed are kept.
  await expect(secret.inputValue()).resolves.toBe('')
  await expect(products.inputValue()).resolves.toBe('prod_Alpha1')
  expect(await page.content()).not.toContain('sk_live_')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')))
    .toBe('signingSecret')

  await page.reload()
  await page
    .getByRole('navigation', { name: 'Breadcrumb' })
    .getByRole('link', { name: 'Projects' })
    .click()
  await page.waitForURL(`${live.server.url}/projects`)
  await page.goBack()
  await page.waitForURL(project)
  expect(posts).toEqual([303])
  // Nothing was connected.
  await expect(page.getByRole('list', { name: 'Connections' }).count()).resolves.toBe(0)
  expect(problems).toEqual([])
})

it('a view name already in use, saved from the table, redirects to that table, which warns at the name field keeping what was typed; reload and Back post nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  const table = `${live.server.url}/customers?in=app-a:paid&sort=email`
  await page.goto(table)
  const saveView = page.getByText('Save view', { exact: true })
  const name = page.getByLabel('Name this view')
  await saveView.click()
  await name.fill('Paid on A')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await page.locator('.rail-link', { hasText: 'Paid on A' }).waitFor()

  const posts = postsOf(page)
  await saveView.click()
  await name.fill(' paid on a ')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await expect.poll(() => posts).toEqual([303])
  // Back on the same table, its filter kept, the form open at the name typed, saying why there.
  await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true')
  expect(page.url()).toBe(table)
  await expect(page.locator('details.save-view').getAttribute('open')).resolves.not.toBeNull()
  const warning = page.locator(`#${await name.getAttribute('aria-describedby')}`)
  await expect(warning.textContent()).resolves.toBe(
    "The view was not saved: name: you already have a view named 'paid on a'",
  )
  await expect(name.inputValue()).resolves.toBe(' paid on a ')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.id))
    .toBe(await name.getAttribute('id'))
  // The message is the form's, not a second one at the top of the page.
  await expect(page.getByTestId('flash').count()).resolves.toBe(0)

  await page.reload()
  expect(page.url()).toBe(table)
  await page.getByRole('link', { name: 'Import CSV' }).click()
  await page.waitForURL(`${live.server.url}/imports/new`)
  await page.goBack()
  await page.waitForURL(table)
  expect(posts).toEqual([303])
  // Still one view of that name.
  await page.locator('.rail-link', { hasText: 'Paid on A' }).waitFor()
  await expect(page.locator('.rail-link', { hasText: /paid on a/i }).count()).resolves.toBe(1)
  expect(problems).toEqual([])
})

it('an email that already has a login, typed to join by an invite link, redirects to the link’s page, which warns at the email field keeping it but not the password; reload and Back post nothing', async () => {
  const owner = await newPage(live.browser, { cookies })
  await owner.page.goto(`${live.server.url}/settings/team`)
  await owner.page.getByRole('button', { name: 'Create an invite link' }).click()
  const link = (await owner.page.getByTestId('invite-link').textContent())!.trim()
  await owner.context.close()

  const { page, context, problems } = await newPage(live.browser)
  await page.goto(link)
  const posts = postsOf(page)
  const email = page.getByLabel('Email')
  const password = page.getByLabel('Password')
  await email.fill('refused@example.com')
  await password.fill('a secret passphrase')
  await page.getByRole('button', { name: 'Join' }).click()
  await expect.poll(() => posts).toEqual([303])
  await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true')
  expect(page.url()).toBe(link)
  const error = page.locator(`#${await email.getAttribute('aria-describedby')}`)
  await expect(error.textContent()).resolves.toBe('refused@example.com already has a TinyCRM login')
  await expect(email.inputValue()).resolves.toBe('refused@example.com')
  await expect(password.inputValue()).resolves.toBe('')
  expect(await page.content()).not.toContain('a secret passphrase')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')))
    .toBe('email')

  await page.reload()
  expect(page.url()).toBe(link)
  await page.goto(`${live.server.url}/login`)
  await page.goBack()
  await page.waitForURL(link)
  expect(posts).toEqual([303])
  // The link was not used: it still asks who joins.
  await expect(page.getByRole('button', { name: 'Join' }).count()).resolves.toBe(1)
  expect(problems).toEqual([])
  await context.close()
})

it('a file that is not CSV, uploaded without JavaScript, redirects to the upload page, which says at the file field to choose it again and keeps the project; reload and Back post nothing', async () => {
  // With JavaScript the file is streamed and a refusal shown in place (test/browser/import.test.ts):
  // the form itself is posted only without.
  const context = await live.browser.newContext({ javaScriptEnabled: false })
  await context.addCookies(cookies)
  const page = await context.newPage()
  const upload = `${live.server.url}/imports/new`
  await page.goto(upload)
  const posts = postsOf(page)
  const project = page.getByLabel('Into project')
  const file = page.getByLabel('CSV file')
  await project.selectOption({ label: 'App A (app-a)' })
  const broken = Buffer.from('email\n"never closed\n')
  await file.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: broken })
  await page.getByRole('button', { name: 'Upload and map columns' }).click()
  await expect.poll(() => posts).toEqual([303])
  await page.waitForURL(upload)
  await expect(file.getAttribute('aria-invalid')).resolves.toBe('true')
  const [errorId] = (await file.getAttribute('aria-describedby'))!.split(' ')
  const error = await page.locator(`#${errorId}`).textContent()
  expect(error).toMatch(/^The file is not valid CSV: .+ Choose the file again\.$/)
  await expect(file.inputValue()).resolves.toBe('')
  await expect(project.inputValue()).resolves.toBe(
    await page.getByRole('option', { name: 'App A (app-a)' }).getAttribute('value'),
  )
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.id))
    .toBe(await file.getAttribute('id'))

  await page.reload()
  expect(page.url()).toBe(upload)
  await page.getByRole('link', { name: 'Customers', exact: true }).first().click()
  await page.waitForURL(/\/customers$/)
  await page.goBack()
  await page.waitForURL(upload)
  expect(posts).toEqual([303])
  // Nothing was imported.
  await expect(page.getByText('No imports yet.').count()).resolves.toBe(1)
  await context.close()
})

it('a column mapping refused (a param without a name) redirects to the import’s page, which says why at that field keeping the mapping as set; reload posts nothing', async () => {
  const { page, problems } = await newPage(live.browser, { cookies })
  await page.goto(`${live.server.url}/imports/new`)
  await page.getByLabel('Into project').selectOption({ label: 'App A (app-a)' })
  const csv = Buffer.from('Email,Plan\nann@x.io,pro\n')
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: 'a.csv', mimeType: 'text/csv', buffer: csv })
  await page.getByRole('button', { name: 'Upload and map columns' }).click()
  await page.getByRole('heading', { name: 'Map the columns' }).waitFor()
  const job = page.url()
  const posts = postsOf(page)
  const key = page.getByLabel('Param name for Plan')
  await page.getByLabel('Type of Plan').selectOption('json')
  await key.fill('')
  await page.getByRole('button', { name: 'Dry run', exact: true }).click()
  await expect.poll(() => posts).toEqual([303])
  await expect.poll(() => key.getAttribute('aria-invalid')).toBe('true')
  expect(page.url()).toBe(job)
  await expect(
    page.locator(`#${await key.getAttribute('aria-describedby')}`).textContent(),
  ).resolves.toBe('column Plan: a param needs a name (1 to 200 characters)')
  await expect(page.getByLabel('Type of Plan').inputValue()).resolves.toBe('json')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')))
    .toBe('key_1')

  await page.reload()
  expect(page.url()).toBe(job)
  await expect(key.inputValue()).resolves.toBe('plan')
  expect(posts).toEqual([303])
  expect(problems).toEqual([])
})
