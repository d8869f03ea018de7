// In Chromium against the real server: the second walk's defects around the customers page's rail
// of saved views, its drawer and the team page, at a laptop's 1440 px and a phone's 390 px, each
// kept fixed.
import { beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  createProject,
  identify,
  newPage,
  screenshot,
  signUp,
  useLiveApp,
  type Cookies,
} from './harness.js'

const live = useLiveApp()
let cookies: Cookies

beforeAll(async () => {
  const { page, context } = await newPage(live.browser)
  const base = live.server.url
  await signUp(page, base, 'rail@example.com')
  const a = await createProject(page, base, 'App A')
  await createProject(page, base, 'App B') // the second project adds the ready views
  for (let i = 0; i < 30; i++) {
    await identify(base, a, { email: `user${i}@x.io`, status: i % 3 ? 'free' : 'paid' })
  }
  cookies = await context.cookies()
  await context.close()
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
