// In Chromium against the real server: the second walk's defects around the customers page's rail
// of saved views, its drawer and the team page, at a laptop's 1440 px and a phone's 390 px, each
// kept fixed.
import { beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
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

beforeAll(async () => {
  // The second project adds the ready views.
  cookies = await signedUpAccount(
    live,
    'rail@example.com',
    ['App A', 'App B'],
    async (base, [a]) => {
      for (let i = 0; i < 30; i++) {
        await identify(base, a!, { email: `user${i}@x.io`, status: i % 3 ? 'free' : 'paid' })
      }
    },
  )
}, 300_000)

const signedIn = (width: number, height: number) =>
  newPage(live.browser, { width, height, cookies })

/** What is drawn at the middle of `selector`'s box: the element itself (or inside it), or not. */
const reachable = (page: Page, selector: string) =>
  page.evaluate((s) => {
    const el = document.querySelector(s)!
    const box = el.getBoundingClientRect()
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)
    return !!hit && el.contains(hit)
  }, selector)

it('at 1440 px the drawer opens below the top bar: the nav and the account menu stay usable', async () => {
  const { page, problems } = await signedIn(1440, 900)
  await page.goto(`${live.server.url}/customers`)
  await page.mouse.wheel(0, 400) // opened from further down the table, too
  await page.locator('.badge').nth(10).click()
  await page.locator('#drawer .drawer-panel').waitFor()
  expect(await reachable(page, '.account-menu > summary')).toBe(true)
  expect(await reachable(page, '.nav-links a[href="/projects"]')).toBe(true)
  expect(await reachable(page, '.drawer-close')).toBe(true)
  await page.locator('.account-menu > summary').click()
  expect(await reachable(page, '.account-menu-body button')).toBe(true) // Log out, over the drawer
  await screenshot(page, 'rail-drawer-below-topbar-1440')
  expect(problems).toEqual([])
})

it('on a phone the saved views are one tap away above the table, not below every customer', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers`)
  const toggle = page.locator('#views-rail .rail-toggle')
  // Until the rail arrives, its placeholder holds a "Views" button of the same size, disabled.
  await expect.poll(() => toggle.textContent()).toBe('Views: All customers')
  const table = await page.locator('.customers-table').boundingBox()
  expect((await toggle.boundingBox())!.y).toBeLessThan(table!.y)
  // Closed, the list takes no room (and no Tab stops) above the table.
  expect(await page.locator('#views-rail .rail-list').isVisible()).toBe(false)
  await toggle.click()
  expect(await toggle.getAttribute('aria-expanded')).toBe('true')
  const usesA = page.locator('#views-rail .rail-link[title="Uses App A"]')
  expect((await usesA.boundingBox())!.y).toBeLessThan(844)
  await screenshot(page, 'rail-phone-views-open-390')
  await usesA.click()
  await expect.poll(() => new URL(page.url()).search).toBe('?in=app-a')
  await expect.poll(() => toggle.textContent()).toBe('Views: Uses App A')
  expect(await page.locator('#views-rail .rail-list').isVisible()).toBe(false)
  expect(problems).toEqual([])
})

it('at 1440 px the rail is a list beside the table, without the phone’s Views button', async () => {
  const { page, problems } = await signedIn(1440, 900)
  await page.goto(`${live.server.url}/customers`)
  await page.locator('#views-rail .rail-list').waitFor()
  expect(await page.locator('#views-rail .rail-toggle').isVisible()).toBe(false)
  const rail = await page.locator('#views-rail').boundingBox()
  const table = await page.locator('.customers-table').boundingBox()
  expect(rail!.x + rail!.width).toBeLessThan(table!.x)
  expect(problems).toEqual([])
})

/** Presses Tab from the top of the page until focus is in the table; returns the stops' names. */
async function tabStopsBeforeTable(page: Page) {
  const names: string[] = []
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab')
    const stop = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement
      return { name: a.getAttribute('aria-label') ?? a.innerText, inTable: !!a.closest('table') }
    })
    if (stop.inTable) return names
    names.push(stop.name.trim())
  }
  throw new Error(`never reached the table: ${names.join(' | ')}`)
}

it('keyboard: "Skip to customers" first, and the rail is one stop (↑/↓ between views) and its ⋯', async () => {
  const { page, problems } = await signedIn(1440, 900)
  await page.goto(`${live.server.url}/customers`)
  await page.locator('#views-rail .rail-list').waitFor()
  const stops = await tabStopsBeforeTable(page)
  expect(stops[0]).toBe('Skip to customers')
  // The rail: the view shown, then nothing else of it (All customers has no menu).
  expect(stops.filter((s) => /^Manage the view/.test(s))).toEqual([])
  expect(stops.length).toBeLessThanOrEqual(20)

  // The skip link goes past the nav and the rail to the customers section.
  await page.goto(`${live.server.url}/customers`)
  await page.locator('#views-rail .rail-list').waitFor()
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => !!document.activeElement?.closest('#customers'))).toBe(true)

  // Every view and its menu stay reachable: ↓ moves along the rail, Tab then reaches its ⋯.
  await page.locator('#views-rail .rail-link').first().focus()
  await page.keyboard.press('ArrowDown')
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim())
  expect(await focused()).toMatch(/^Uses App A/)
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
    'Manage the view Uses App A',
  )
  await page.keyboard.press('Enter')
  await page.keyboard.press('Tab')
  expect(await focused()).toBe('Move down') // Move up is disabled: the first view
  expect(problems).toEqual([])
})

it('asks before deleting a saved view, naming it, as before removing a teammate', async () => {
  const { page, problems } = await signedIn(1440, 900)
  await page.goto(`${live.server.url}/customers`)
  const item = page.locator('#views-rail .rail-item[data-view-id]', { hasText: 'Beta users' })
  await item.locator('.rail-menu > summary').click()
  await item.getByRole('button', { name: 'Delete “Beta users”…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Delete the view “Beta users”?' })
  await dialog.waitFor()
  await screenshot(page, 'rail-delete-view-confirm-1440')
  // Cancel keeps it, back in its menu (and so does Esc).
  const deleteItem = item.getByRole('button', { name: 'Delete “Beta users”…' })
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  expect(await dialog.isVisible()).toBe(false)
  expect(await deleteItem.evaluate((b) => b === document.activeElement)).toBe(true)
  await deleteItem.click()
  await page.keyboard.press('Escape')
  expect(await dialog.isVisible()).toBe(false)
  expect(await deleteItem.evaluate((b) => b === document.activeElement)).toBe(true)
  expect(await item.count()).toBe(1)

  await deleteItem.click()
  await dialog.getByRole('button', { name: 'Delete view' }).click()
  await expect.poll(() => item.count()).toBe(0)
  expect(new URL(page.url()).pathname).toBe('/customers') // the rail redrawn, no page load
  expect(problems).toEqual([])
})

it('the views page of its own asks too, and deletes with a page load', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers/views`)
  const item = page.locator('.views-page .rail-item[data-view-id]', { hasText: 'Admins' })
  await item.locator('.rail-menu > summary').click()
  await item.getByRole('button', { name: 'Delete “Admins”…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Delete the view “Admins”?' })
  await Promise.all([
    page.waitForNavigation(),
    dialog.getByRole('button', { name: 'Delete view' }).click(),
  ])
  expect(new URL(page.url()).pathname).toBe('/customers/views')
  expect(await item.count()).toBe(0)
  expect(problems).toEqual([])
})

it('a refused rename puts focus back in the name field, holding what was typed', async () => {
  const { page, problems } = await signedIn(1440, 900)
  await page.goto(`${live.server.url}/customers`)
  const item = page.locator('#views-rail .rail-item[data-view-id]', { hasText: 'Trials' }).first()
  await item.locator('.rail-menu > summary').click()
  const field = item.getByLabel('Name')
  await field.fill('In 2+ products') // another view's name
  await field.press('Enter')
  await page.locator('#views-rail .alert').waitFor()
  const active = () =>
    page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement
      return { label: a.labels?.[0]?.textContent, value: a.value, invalid: a.ariaInvalid }
    })
  expect(await active()).toEqual({ label: 'Name', value: 'In 2+ products', invalid: 'true' })
  await screenshot(page, 'rail-rename-refused-1440')
  // Typed again, it is renamed; focus back on that view's menu button.
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type('Trying it out')
  await page.keyboard.press('Enter')
  await page.locator('#views-rail .rail-link[title="Trying it out"]').waitFor()
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
    'Manage the view Trying it out',
  )
  expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]) // the refusal's own
})

it('on a phone too, with the rail unfolded above the table', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers`)
  await page.locator('#views-rail .rail-toggle').click()
  const item = page.locator('#views-rail .rail-item[data-view-id]').nth(2)
  await item.locator('.rail-menu > summary').click()
  await item.getByLabel('Name').fill('In 2+ products')
  await item.getByLabel('Name').press('Enter')
  await page.locator('#views-rail .alert').waitFor()
  const field = page.locator('#views-rail .rail-item[data-view-id]').nth(2).getByLabel('Name')
  await expect.poll(() => field.evaluate((f) => f === document.activeElement)).toBe(true)
  expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([])
})

it('on the views page of its own, a refused rename opens with its field focused', async () => {
  const { page, problems } = await signedIn(390, 844)
  await page.goto(`${live.server.url}/customers/views`)
  const items = page.locator('.views-page .rail-item[data-view-id]')
  const name = await items.first().locator('.rail-name').textContent()
  const other = (await items.nth(1).locator('.rail-name').textContent())!
  await items.first().locator('.rail-menu > summary').click()
  await items.first().getByLabel('Name').fill(other)
  await Promise.all([page.waitForNavigation(), items.first().getByLabel('Name').press('Enter')])
  expect(await page.locator('.views-page .alert').count()).toBe(1)
  const field = items.first().getByLabel('Name')
  expect(await field.evaluate((f) => f === document.activeElement)).toBe(true)
  expect(await field.inputValue()).toBe(other)
  expect(await items.first().locator('.rail-name').textContent()).toBe(name)
  expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([])
})

it('on a phone the team page’s tables fit: Remove… and Withdraw are on screen, nothing scrolls sideways', async () => {
  const { page, problems } = await signedIn(390, 844)
  const base = live.server.url
  await page.goto(`${base}/settings/team`)
  await joinAsTeammate(page, live.browser, 'a.teammate.with.a.long.name@example.com')
  await page.getByRole('button', { name: 'Create an invite link' }).click() // a pending one

  for (const width of [390, 1440]) {
    await page.setViewportSize({ width, height: 844 })
    await page.goto(`${base}/settings/team`)
    const overflow = await page.evaluate(() =>
      [document.documentElement, ...document.querySelectorAll('.table-wrap')].map(
        (el) => el.scrollWidth - el.clientWidth,
      ),
    )
    expect(overflow).toEqual([0, 0, 0])
    for (const name of [/^Remove a\.teammate/, /^Withdraw/]) {
      const box = (await page.getByRole('button', { name }).boundingBox())!
      expect(box.x + box.width).toBeLessThanOrEqual(width)
    }
  }
  await page.setViewportSize({ width: 390, height: 844 })
  await screenshot(page, 'rail-team-390')
  expect(problems).toEqual([])
})
