// In Chromium against the real server: the customers table flow. Sign up, create two projects,
// identify over HTTP, see one row with two badges, filter and page in place (htmx), the back button
// restores the previous view, a pasted URL gives the same view, the drawer opens, log out.
import { expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createProject, identify, newPage, screenshot, signUp, useLiveApp } from './harness.js'

const live = useLiveApp()

const rows = (page: Page) =>
  page
    .locator('.customers-table tbody tr')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-customer')))
/** Set on window: it survives htmx swaps and is gone after a full page load. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { mark: number }).mark = 1))
const marked = (page: Page) =>
  page.evaluate(() => (window as unknown as { mark?: number }).mark === 1)

it('shows one row with two badges, filters and pages in place, and the back button restores the view', async () => {
  const { page, context, problems } = await newPage(live.browser)
  const base = live.server.url

  await signUp(page, base, 'owner@example.com')

  // A new account's customers page says how to start.
  await page.goto(base + '/customers')
  await expect(page.getByRole('heading', { name: /first customer/ }).isVisible()).resolves.toBe(
    true,
  )
  await screenshot(page, 'customers-01-first-run')

  const keys = [await createProject(page, base, 'App A'), await createProject(page, base, 'App B')]
  const [keyA, keyB] = keys as [string, string]

  // The seeds' example: the same person from two products, then a few more customers of A.
  expect(
    (
      await identify(base, keyA, {
        email: 'alex@example.com',
        name: 'Alex Chen',
        status: 'paid',
        params: { plan: 'pro', mrr: 29 },
      })
    ).status,
  ).toBe(200)
  expect(
    (
      await identify(base, keyB, {
        email: 'alex@example.com',
        name: 'Alex Chen',
        status: 'free',
        params: { plan: 'free' },
      })
    ).status,
  ).toBe(200)
  for (let i = 1; i <= 6; i++) {
    await identify(base, keyA, {
      email: `user${i}@example.com`,
      name: `User ${i}`,
      status: i % 2 ? 'free' : 'trial',
    })
  }

  await page.goto(base + '/customers')
  expect(await rows(page)).toHaveLength(7)
  const alex = page.locator('tr[data-customer="alex@example.com"]')
  await expect(
    alex
      .locator('.badge')
      .evaluateAll((bs) => bs.map((b) => `${b.dataset.project} ${b.dataset.status}`)),
  ).resolves.toEqual(['app-a paid', 'app-b free'])
  await expect(page.getByTestId('segment-count').textContent()).resolves.toBe('7')
  await screenshot(page, 'customers-02-table')

  // Filter with the builder: htmx swaps the table in place and the URL follows.
  await mark(page)
  await page.locator('.add-filter > summary').click()
  await page
    .getByRole('dialog', { name: 'Filter by' })
    .getByRole('button', { name: /^App B/ })
    .click()
  await page.waitForURL(/\/customers\?.*in=app-b/)
  await expect.poll(() => rows(page)).toEqual(['alex@example.com'])
  expect(new URL(page.url()).search).toBe('?in=app-b') // the form's empty fields are not in it
  expect(await marked(page)).toBe(true)
  const filteredUrl = page.url()
  await screenshot(page, 'customers-03-filtered')
  await page.keyboard.press('Escape')

  // Sort by email, 3 a page, then the next page — still in place.
  await page.goto(base + '/customers?sort=email&limit=3')
  await mark(page)
  const firstPage = await rows(page)
  expect(firstPage).toEqual(['alex@example.com', 'user1@example.com', 'user2@example.com'])
  await page.getByRole('link', { name: 'Next →' }).click()
  await page.waitForURL(/after=/)
  await expect
    .poll(() => rows(page))
    .toEqual(['user3@example.com', 'user4@example.com', 'user5@example.com'])
  expect(await marked(page)).toBe(true)
  const secondPageUrl = page.url()
  await screenshot(page, 'customers-04-page-2')

  // Back: the first page again, with its URL; forward: the second page.
  await page.goBack()
  await page.waitForURL(/limit=3$/)
  await expect.poll(() => rows(page)).toEqual(firstPage)
  await page.goForward()
  await page.waitForURL(secondPageUrl)
  await expect
    .poll(() => rows(page))
    .toEqual(['user3@example.com', 'user4@example.com', 'user5@example.com'])

  // A pasted URL gives the same view as the one htmx built.
  await page.goto(filteredUrl)
  expect(await rows(page)).toEqual(['alex@example.com'])

  // A badge opens the customer's drawer in place, pushing a URL that reopens it.
  await page.goto(base + '/customers')
  await mark(page)
  await alex.getByRole('link', { name: 'App A paid — details' }).click()
  const details = page.getByRole('region', { name: 'App A details' })
  await details.waitFor()
  expect(await details.locator('dd').first().textContent()).toBe('paid')
  expect(await details.locator('.params-table').textContent()).toContain('mrr29')
  expect(await marked(page)).toBe(true)
  await page.waitForURL(/open=\d+\.app-a/)
  await screenshot(page, 'customers-05-badge-details')
  await page.reload()
  await expect(page.getByRole('region', { name: 'App A details' }).isVisible()).resolves.toBe(true)

  // The customer page: both projects side by side; edit the name.
  await alex.getByRole('link', { name: 'alex@example.com' }).click()
  await page.waitForURL(/\/customers\/\d+$/)
  await expect(page.locator('.project-card').count()).resolves.toBe(2)
  // The name is edited in place (htmx swaps the header).
  await page.locator('.rename > summary', { hasText: 'Rename' }).click()
  await page.getByLabel('Name', { exact: true }).fill('Alex C.')
  await page.getByRole('button', { name: 'Save name' }).click()
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Alex C.')
  await screenshot(page, 'customers-06-customer-page')

  // Usable at 390 px.
  const phone = await newPage(live.browser, { width: 390, height: 844 })
  await phone.context.addCookies(await context.cookies())
  await phone.page.goto(base + '/customers')
  expect(await rows(phone.page)).toHaveLength(7)
  await screenshot(phone.page, 'customers-07-390px')
  await phone.context.close()

  // Log out: the table is gone with the session.
  await page.locator('.account-menu summary').click()
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.waitForURL(base + '/login')
  await page.goto(base + '/customers')
  expect(new URL(page.url()).pathname).toBe('/login')

  expect(problems).toEqual([])
})
