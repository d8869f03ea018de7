// In Chromium against the real server: the customer drawer at a phone's 390 × 844 is a sheet over
// the whole screen (not a narrow panel over the table), which scrolls on its own while the table
// behind it stays where it was, with a close control a thumb and a keyboard reach; Esc closes it
// too, focus back on the row's badge that opened it. At a laptop's 1440 × 900 it stays a panel
// beside the table, below the top bar, with the table behind it still scrolling.
import { beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  identify,
  newPage,
  screenshot,
  signedUpAccount,
  useLiveApp,
  type Cookies,
} from './harness.js'

const live = useLiveApp()
let cookies: Cookies

/** The customer whose details are longer than a phone's screen, some values without a space. */
const EMAIL = 'user15.details@x.io'
const params = (project: string) =>
  Object.fromEntries([
    ...Array.from({ length: 25 }, (_, i) => [`${project}_param_${i}`, `value ${i}`]),
    ['landing_url', `https://example.com/${'very-long-path-segment-'.repeat(8)}`],
  ])

beforeAll(async () => {
  cookies = await signedUpAccount(
    live,
    'sheet@example.com',
    ['App A', 'App B'],
    async (base, [a, b]) => {
      for (let i = 0; i < 40; i++) {
        const email = `user${String(i).padStart(2, '0')}@x.io`
        await identify(base, a!, { email, status: i % 3 ? 'free' : 'paid' })
      }
      await identify(base, a!, { email: EMAIL, status: 'paid', params: params('a') })
      await identify(base, b!, { email: EMAIL, status: 'trial', params: params('b') })
    },
  )
}, 300_000)

const TABLE = '/customers?sort=email'
const badge = (page: Page) =>
  page.locator(`tr[data-customer="${EMAIL}"] .badge[data-project="app-a"]`)

/** The table scrolled down to the customer's row, then its badge activated by `how`. */
async function openDrawer(page: Page, how: 'click' | 'Enter') {
  await badge(page).scrollIntoViewIfNeeded()
  if (how === 'click') await badge(page).click()
  else {
    await badge(page).focus()
    await page.keyboard.press('Enter')
  }
  await page.locator('#drawer .drawer-panel').waitFor()
  await page.waitForURL(/open=\d+\.app-a/)
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.className))
    .toBe('drawer-panel')
}

const box = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect()
    return { x: r.x, y: r.y, width: r.width, height: r.height }
  })

/** What is drawn at (x, y) belongs to the drawer. */
const drawerAt = (page: Page, x: number, y: number) =>
  page.evaluate(([x, y]) => !!document.elementFromPoint(x!, y!)?.closest('#drawer'), [x, y])

const scrollOf = (page: Page) =>
  page.evaluate(() => {
    const d = document.getElementById('drawer')!
    return {
      page: window.scrollY,
      drawer: d.scrollTop,
      drawerEnd: d.scrollHeight - d.clientHeight,
    }
  })

/** Horizontal overflow of the page and of the drawer, in px. */
const sideways = (page: Page) =>
  page.evaluate(() =>
    [document.documentElement, document.getElementById('drawer')!].map(
      (el) => el.scrollWidth - el.clientWidth,
    ),
  )

const focusedRow = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement
    return a?.matches('.badge') ? a.closest('tr')?.dataset.customer : a?.tagName
  })

it('on a phone the drawer is a sheet over the whole screen, scrolling on its own, nothing sideways', async () => {
  const { page, problems } = await newPage(live.browser, { width: 390, height: 844, cookies })
  await page.goto(live.server.url + TABLE)
  await openDrawer(page, 'click')
  const pageAt = (await scrollOf(page)).page
  expect(pageAt).toBeGreaterThan(0) // opened from down the table

  expect(await box(page, '#drawer')).toEqual({ x: 0, y: 0, width: 390, height: 844 })
  for (const [x, y] of [
    [2, 2],
    [388, 2],
    [195, 422],
    [2, 842],
    [388, 842],
  ] as const) {
    expect(await drawerAt(page, x, y), `at ${x}, ${y}`).toBe(true) // no top bar, no table
  }
  expect(await sideways(page)).toEqual([0, 0])
  await screenshot(page, 'drawer-sheet-390')

  // Its details are longer than the screen: the sheet scrolls, to its end, and the table behind
  // it stays put, also when the wheel goes on past the sheet's ends.
  const start = await scrollOf(page)
  expect(start.drawerEnd).toBeGreaterThan(0)
  await page.mouse.move(195, 500)
  await page.mouse.wheel(0, -600) // the sheet is at its top: this must not reach the page
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 600)
  await expect.poll(async () => (await scrollOf(page)).drawer).toBe(start.drawerEnd)
  await page.mouse.wheel(0, 600) // past its end
  await page.mouse.wheel(0, -300)
  await expect.poll(async () => (await scrollOf(page)).drawer).toBe(start.drawerEnd - 300)
  expect((await scrollOf(page)).page).toBe(pageAt)
  expect(await sideways(page)).toEqual([0, 0])
  await screenshot(page, 'drawer-sheet-scrolled-390')
  expect(problems).toEqual([])
})

it('on a phone its close control is on screen, a thumb wide, and first for Tab; Esc closes too, focus back on the row', async () => {
  const { page, problems } = await newPage(live.browser, { width: 390, height: 844, cookies })
  await page.goto(live.server.url + TABLE)
  await openDrawer(page, 'Enter')
  const pageAt = (await scrollOf(page)).page

  await page.keyboard.press('Tab')
  const close = page.getByRole('link', { name: 'Close details (Esc)' })
  expect(await close.evaluate((el) => el === document.activeElement)).toBe(true)
  const at = await box(page, '.drawer-close')
  expect(at.x).toBeGreaterThanOrEqual(0)
  expect(at.y).toBeGreaterThanOrEqual(0)
  expect(at.x + at.width).toBeLessThanOrEqual(390)
  expect(at.width).toBeGreaterThanOrEqual(44)
  expect(at.height).toBeGreaterThanOrEqual(44)
  expect(await drawerAt(page, at.x + at.width / 2, at.y + at.height / 2)).toBe(true)
  // Still on screen with the sheet scrolled down: its head stays at the top.
  await page.locator('#drawer').evaluate((d) => d.scrollTo(0, d.scrollHeight))
  const scrolled = await box(page, '.drawer-close')
  expect(scrolled.y).toBeGreaterThanOrEqual(0)
  expect(scrolled.y + scrolled.height).toBeLessThanOrEqual(844)

  // Tab and Shift+Tab stay in the sheet: the page behind it is hidden by it.
  await page.keyboard.press('Shift+Tab')
  expect(await page.evaluate(() => !!document.activeElement?.closest('#drawer'))).toBe(true)
  await page.keyboard.press('Tab')
  expect(await close.evaluate((el) => el === document.activeElement)).toBe(true)

  await page.keyboard.press('Enter')
  await expect.poll(() => page.locator('#drawer').innerHTML()).toBe('')
  expect(page.url()).not.toContain('open=')
  expect(await focusedRow(page)).toBe(EMAIL)
  expect((await scrollOf(page)).page).toBe(pageAt)

  await page.keyboard.press('Enter') // the badge, focused again, opens it again
  await page.locator('#drawer .drawer-panel').waitFor()
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.className))
    .toBe('drawer-panel')
  await page.keyboard.press('Escape')
  await expect.poll(() => page.locator('#drawer').innerHTML()).toBe('')
  expect(await focusedRow(page)).toBe(EMAIL)
  expect((await scrollOf(page)).page).toBe(pageAt)
  expect(problems).toEqual([])
})

it('at 1440 × 900 the drawer stays a panel beside the table, below the top bar, the table scrolling behind it', async () => {
  const { page, problems } = await newPage(live.browser, { width: 1440, height: 900, cookies })
  await page.goto(live.server.url + TABLE)
  await openDrawer(page, 'click')
  const topbar = await box(page, '.topbar')
  const panel = await box(page, '#drawer')
  expect(panel.x + panel.width).toBe(1440)
  expect(panel.width).toBeLessThan(500)
  expect(panel.y).toBe(topbar.y + topbar.height)
  expect(panel.y + panel.height).toBe(900)
  expect(await drawerAt(page, 300, 600)).toBe(false) // the table beside it
  expect(await sideways(page)).toEqual([0, 0])
  await screenshot(page, 'drawer-panel-1440')

  // The panel scrolls on its own; the wheel over the table still scrolls the page.
  const start = await scrollOf(page)
  await page.mouse.move(panel.x + panel.width / 2, 600)
  await page.mouse.wheel(0, 400)
  await expect.poll(async () => (await scrollOf(page)).drawer).toBeGreaterThan(0)
  await page.mouse.move(300, 600)
  await page.mouse.wheel(0, 200)
  await expect.poll(async () => (await scrollOf(page)).page).toBeGreaterThan(start.page)

  await page.keyboard.press('Escape')
  await expect.poll(() => page.locator('#drawer').innerHTML()).toBe('')
  expect(await focusedRow(page)).toBe(EMAIL)
  expect(problems).toEqual([])
})
