// In Chromium against the real server: defects found by a founder's walk through the dashboard,
// each kept fixed. The views page of its own (/customers/views) opens a view as the customers page
// and changes a view with a plain page load: it has no table to swap nor rail to redraw.
import { beforeAll, expect, it } from 'vitest'
import type { Locator } from 'playwright-core'
import {
  joinAsTeammate,
  identify,
  newPage,
  screenshot,
  signedUpAccount,
  useLiveApp,
  type Cookies,
} from './harness.js'

const live = useLiveApp()
let cookies: Cookies
let keyA: string // App A's, for a test's own customers

beforeAll(async () => {
  // The second project adds the ready views.
  cookies = await signedUpAccount(
    live,
    'fixes@example.com',
    ['App A', 'App B'],
    async (base, [a]) => {
      keyA = a!
      await identify(base, a!, {
        email: 'paid@x.io',
        status: 'paid',
        params: { plan: 'pro', mrr: 29 },
      })
      await identify(base, a!, { email: 'free@x.io', status: 'free' })
    },
  )
}, 300_000)

const signedIn = (width = 1280, height = 800) => newPage(live.browser, { width, height, cookies })

it('the views page opens a view as the customers page, and moves a view with a page load', async () => {
  const { page, problems } = await signedIn()
  const warnings: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text())
  })
  await page.goto(`${live.server.url}/customers/views`)
  await page.locator('.rail-link[title="Uses App A"]').click()
  await page.waitForURL(`${live.server.url}/customers?in=app-a`)
  await expect.poll(() => page.title()).toBe('Customers · TinyCRM')
  expect(await page.locator('.views-page').count()).toBe(0)
  expect(await page.getByTestId('segment-count').textContent()).toBe('2')

  await page.goto(`${live.server.url}/customers/views`)
  const names = () => page.locator('.views-page .rail-name').allTextContents()
  const before = await names()
  const first = page.locator('.views-page .rail-item[data-view-id]').first()
  await first.locator('.rail-menu > summary').click()
  await Promise.all([
    page.waitForNavigation(),
    first.getByRole('button', { name: 'Move down' }).click(),
  ])
  expect(page.url()).toBe(`${live.server.url}/customers/views`)
  expect(await page.locator('.rail-list').count()).toBe(1)
  expect(await names()).toEqual([before[0], before[2], before[1], ...before.slice(3)])
  expect(warnings.filter((w) => w.includes('hx-target'))).toEqual([])
  expect(problems).toEqual([])
})

it('closes the account menu, Save view, a view’s ⋯ menu and Rename on Escape, focus on their button', async () => {
  const { page, problems } = await signedIn()
  const base = live.server.url
  await page.goto(`${base}/customers?in=app-a`)
  await page.locator('#views-rail .rail-list').waitFor()
  const isOpen = (summary: Locator) =>
    summary.evaluate((s) => (s.parentElement as HTMLDetailsElement).open)
  const railMenu = page.locator('.rail-item[data-view-id] .rail-menu > summary').first()
  for (const button of [
    page.locator('.account-menu > summary'),
    page.locator('.save-view > summary'),
    railMenu,
  ]) {
    await button.focus()
    await page.keyboard.press('Enter')
    expect(await isOpen(button)).toBe(true)
    await page.keyboard.press('Tab') // into the menu
    await page.keyboard.press('Escape')
    expect(await isOpen(button)).toBe(false)
    expect(await button.evaluate((s) => s === document.activeElement)).toBe(true)
    // A click elsewhere closes it too.
    await button.click()
    expect(await isOpen(button)).toBe(true)
    await page.locator('h1').click()
    expect(await isOpen(button)).toBe(false)
  }
  // With a customer's drawer open behind a menu, Escape closes the menu alone.
  await page.locator('.badge').first().click()
  await page.locator('#drawer .drawer-panel').waitFor()
  await railMenu.click()
  await page.keyboard.press('Escape')
  expect(await isOpen(railMenu)).toBe(false)
  expect(await page.locator('#drawer .drawer-panel').count()).toBe(1)

  await page.goto(`${base}/customers`)
  await page.locator('.customer-link').first().click()
  const rename = page.locator('.rename > summary')
  await rename.click()
  await page.locator('#customer-name').focus()
  await page.keyboard.press('Escape')
  expect(await isOpen(rename)).toBe(false)
  expect(await rename.evaluate((s) => s === document.activeElement)).toBe(true)
  expect(problems).toEqual([])
})

it('a param picked from the list takes what is typed next as its value, not onto its key', async () => {
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers`)
  await page.locator('.add-filter > summary').click()
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await picker.getByRole('button', { name: /^plan \(App A\)/ }).click()
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  await page.keyboard.type('pro')
  expect(await editor.getByLabel('Param', { exact: true }).inputValue()).toBe('plan')
  await expect.poll(() => new URL(page.url()).search).toBe('?p=app-a.plan:eq:pro')
  await expect.poll(() => page.getByTestId('segment-count').textContent()).toBe('1')
  expect(problems).toEqual([])
})

it('on a phone, the columns of the params a filter is about keep their names', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers?p=plan:eq:pro&sum=mrr`)
  const cells = page.locator('.customers-table tbody tr').first().locator('td.col-param')
  const labels = await cells.evaluateAll((tds) =>
    tds.map((td) => getComputedStyle(td, '::before').content),
  )
  expect(labels).toEqual(['"plan: "', '"mrr: "'])
  await screenshot(page, 'fixes-phone-param-columns-390')
  expect(problems).toEqual([])
})

it("at 1280 px, a param's column shows its values whole, each led by its project's dot", async () => {
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers?p=plan:eq:pro&sum=mrr`)
  const values = page.locator('.customers-table tbody td.col-param .param-value')
  expect(await values.count()).toBeGreaterThan(0)
  const shown = await values.evaluateAll((spans) =>
    spans.map((s) => ({ cut: s.scrollWidth > s.clientWidth, text: s.textContent })),
  )
  expect(shown.filter((v) => v.cut)).toEqual([])
  // The project's name is there for screen readers (and in the title), not in the column's width.
  expect(shown.some((v) => /^App A: pro$/.test(v.text ?? ''))).toBe(true)
  expect(await values.first().locator('.dot').count()).toBe(1)
  await screenshot(page, 'fixes-param-columns-1280')
  expect(problems).toEqual([])
})

it('asks before removing a teammate, as before revoking a key or a token', async () => {
  const { page, problems } = await signedIn()
  const base = live.server.url
  await page.goto(`${base}/settings/team`)
  await joinAsTeammate(page, live.browser, 'mate@example.com')

  await page.goto(`${base}/settings/team`)
  const row = page.locator('tr', { hasText: 'mate@example.com' })
  await row.getByRole('button', { name: /^Remove mate@example\.com/ }).click()
  const dialog = page.getByRole('dialog', { name: 'Remove mate@example.com from this account?' })
  await dialog.waitFor()
  expect(new URL(page.url()).pathname).toBe('/settings/team')
  expect(await row.count()).toBe(1)
  await Promise.all([
    page.waitForNavigation(),
    dialog.getByRole('button', { name: 'Remove member' }).click(),
  ])
  expect(await page.locator('tr', { hasText: 'mate@example.com' }).count()).toBe(0)
  expect(problems).toEqual([])
})

it('the customer page keeps a gap between the project cards and the history below them', async () => {
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers`)
  await page.locator('.customer-link').first().click()
  const cards = await page.locator('.project-columns').boundingBox()
  const history = await page.locator('.customer-history').boundingBox()
  expect(history!.y - (cards!.y + cards!.height)).toBeGreaterThanOrEqual(12)
  expect(problems).toEqual([])
})

it('the saved views arriving after the page moves nothing under a finger or the pointer', async () => {
  // The rail is fetched once the page has loaded. Its placeholder took another height than the
  // rail on a phone (above the table), so the toolbar jumped as a tap on "+ Filter" landed.
  for (const [width, height] of [
    [390, 844],
    [1280, 800],
  ] as const) {
    const { page, problems } = await signedIn(width, height)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route('**/customers/views', async (route) => {
      await held
      await route.continue()
    })
    await page.goto(`${live.server.url}/customers?status=paid`)
    const at = () => page.locator('.toolbar').boundingBox()
    const before = await at()
    release()
    await page.locator('#views-rail .rail-link').first().waitFor({ state: 'attached' })
    expect(await at(), `${width}px wide`).toEqual(before)
    expect(problems).toEqual([])
    await page.close()
  }
  // Without JavaScript the rail never arrives: on a phone its placeholder is the link to the
  // views' page of its own, not a button that does nothing.
  const plain = await live.browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
  })
  await plain.addCookies(cookies)
  const noJs = await plain.newPage()
  await noJs.goto(`${live.server.url}/customers`)
  expect(await noJs.locator('#views-rail .rail-toggle').isVisible()).toBe(false)
  await noJs.locator('#views-rail').getByRole('link', { name: 'Saved views' }).click()
  await noJs.waitForURL(`${live.server.url}/customers/views`)
  await plain.close()
})

it('on a phone, "Filters (n)" stays open while a filter is added and another removed', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers?status=paid`)
  const chips = page.locator('#filter-chips')
  const toggle = page.locator('.filters-toggle')
  await toggle.click()
  expect(await chips.isVisible()).toBe(true)
  await page.locator('.add-filter > summary').click()
  await page
    .getByRole('dialog', { name: 'Filter by' })
    .getByRole('button', { name: /^App A/ })
    .click()
  await expect.poll(() => new URL(page.url()).search).toBe('?status=paid&in=app-a')
  await expect.poll(() => toggle.textContent()).toBe('Filters (2)')
  expect(await chips.isVisible()).toBe(true)
  expect(await toggle.getAttribute('aria-expanded')).toBe('true')
  await page.keyboard.press('Escape')
  await page.getByRole('link', { name: /^Remove filter: Paid in any product/i }).click()
  await expect.poll(() => new URL(page.url()).search).toBe('?in=app-a')
  expect(await chips.isVisible()).toBe(true)
  // Closed again by its button, it stays closed through the next change.
  await toggle.click()
  expect(await chips.isVisible()).toBe(false)
  expect(problems).toEqual([])
})

it('Tab past the filter popover’s last control (or Shift+Tab before its first) closes it, focus on its button', async () => {
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers`)
  const add = page.locator('.add-filter > summary')
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement
      return el?.getAttribute('aria-label') ?? el?.textContent?.trim()
    })
  await add.focus()
  await page.keyboard.press('Enter')
  await page.keyboard.type('plan')
  await page.keyboard.press('Enter') // the param's editor, focus in its value
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  await editor.waitFor()
  await page.keyboard.type('pro')
  await expect.poll(() => new URL(page.url()).search).toBe('?p=app-a.plan:eq:pro')
  await page.locator('.chip', { hasText: 'plan = pro' }).waitFor()
  for (let i = 0; i < 8 && (await focused()) !== 'Remove filter'; i++) {
    await page.keyboard.press('Tab')
  }
  expect(await focused()).toBe('Remove filter')
  // The popover sits at the end of the page: a Tab on used to leave it open and focus nowhere.
  await page.keyboard.press('Tab')
  await expect.poll(() => editor.count()).toBe(0)
  expect(await focused()).toMatch(/^Filter: .*plan = pro\. Edit$/)

  await add.focus()
  await page.keyboard.press('Enter') // the picker, focus in its search box (its first control)
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await picker.waitFor()
  await page.keyboard.press('Shift+Tab')
  await expect.poll(() => picker.count()).toBe(0)
  expect(await focused()).toBe('+ Filter')
  expect(problems).toEqual([])
})

it('the search box takes at most what the filter reads: a long paste searches, not an error for the table', async () => {
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers`)
  await page.locator('#f-q').focus()
  await page.keyboard.insertText('paid@x.io ' + 'x'.repeat(300))
  await expect.poll(() => new URL(page.url()).searchParams.get('q')?.length).toBe(200)
  expect(await page.locator('#customers .notice-error').count()).toBe(0)
  await expect.poll(() => page.getByTestId('segment-count').textContent()).toBe('0')
  expect(problems).toEqual([])
})

it('the drawer wraps a named customer’s long email instead of running it past its edge', async () => {
  // A name as its title, so the email is the line below it: that line had no wrap of its own.
  const email = `${'a'.repeat(90)}@example.com`
  await identify(live.server.url, keyA, { email, name: 'Long Address', status: 'paid' })
  for (const width of [1440, 390]) {
    const { page, problems } = await signedIn(width, width > 400 ? 900 : 844)
    await page.goto(`${live.server.url}/customers?q=${'a'.repeat(90)}`)
    await page.locator('tr[data-customer] .badge').first().click()
    const panel = page.locator('#drawer .drawer-panel')
    await panel.waitFor()
    const [scroll, client] = await panel.evaluate((el) => [el.scrollWidth, el.clientWidth])
    expect(scroll, `${width} px`).toBeLessThanOrEqual(client)
    await screenshot(page, `drawer-long-email-${width}`)
    expect(problems).toEqual([])
  }
})

// Last in this file: it adds customers to App A, which the counts above do not expect.
it('a rename from a page left open while a teammate merged opens the customer it went into, the name kept', async () => {
  const ids: number[] = []
  for (const email of ['renamed.kept@x.io', 'renamed.gone@x.io']) {
    ids.push((await identify(live.server.url, keyA, { email })).body.customerId as number)
  }
  const [kept, gone] = ids as [number, number]
  const { page, problems } = await signedIn()
  await page.goto(`${live.server.url}/customers/${gone}`)
  // Meanwhile, in another tab, the merge.
  const other = await signedIn()
  await other.page.goto(`${live.server.url}/customers/${kept}/manage`)
  await other.page.getByLabel("The other customer's email").fill('renamed.gone@x.io')
  await other.page.getByRole('button', { name: 'Merge', exact: true }).click()
  await other.page.waitForURL(`${live.server.url}/customers/${kept}`)

  await page.locator('.rename > summary', { hasText: 'Rename' }).click()
  await page.getByLabel('Name', { exact: true }).fill('Typed Before I Knew')
  await page.getByRole('button', { name: 'Save name' }).click()
  await page.waitForURL(`${live.server.url}/customers/${kept}`)
  expect(await page.locator('#customer-name-error').textContent()).toContain(
    'This customer was merged into renamed.kept@x.io: the name was not saved.',
  )
  expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Typed Before I Knew')
  await page.getByRole('button', { name: 'Save name' }).click()
  await expect
    .poll(() => page.getByRole('heading', { level: 1 }).textContent())
    .toBe('Typed Before I Knew')
  expect(problems).toEqual([])
  expect(other.problems).toEqual([])
})
