// In Chromium against the real server: the status of a badge read at a glance without colour
// (paid, trial, free and churned differ in fill, border and strike-through, checked with the page
// rendered in greyscale), a row's params read whole in the table on a laptop, and a saved view renamed from the rail with the keyboard alone (htmx
// swaps the rail, focus stays on that view's menu, a reload repeats nothing; a name in use is
// refused in the rail, the view untouched).
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

const STATUSES = ['paid', 'trial', 'free', 'churned'] as const

beforeAll(async () => {
  cookies = await signedUpAccount(live, 'glance@example.com', ['App A'], async (base, [key]) => {
    for (const status of STATUSES) {
      for (let i = 1; i <= 2; i++)
        await identify(base, key!, { email: `${status}${i}@x.io`, status })
    }
    await identify(base, key!, {
      email: 'a-params@x.io',
      status: 'trial',
      params: { plan: 'pro', mrr: 29 },
    })
  })
}, 300_000) // the sign-up and seeding through Chromium, on a busy machine

const signedIn = (width = 1280, height = 800) => newPage(live.browser, { width, height, cookies })

/** What a badge shows besides its hue: border style, strike-through, and whether its fill is dark
 *  or light (its luminance, which greyscale keeps). */
function lookOf(page: Page, status: string) {
  return page
    .locator(`.badge[data-status="${status}"]`)
    .first()
    .evaluate((badge) => {
      const style = getComputedStyle(badge)
      const [r, g, b] = (style.backgroundColor.match(/\d+(\.\d+)?/g) ?? []).map(Number)
      const lin = (c = 255) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      const luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
      return {
        border: style.borderTopStyle,
        strike: style.textDecorationLine.includes('line-through'),
        fill: luminance < 0.5 ? 'dark' : 'light',
      }
    })
}

it('tells paid, trial, free and churned apart in greyscale, not by colour alone', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers')
  await page.locator('#views-rail .rail-list').waitFor()
  // The whole page rendered as a reader without colour vision sees it (kept as an artifact).
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Emulation.setEmulatedVisionDeficiency', { type: 'achromatopsia' })
  await screenshot(page, 'glance-01-greyscale-1280')
  const looks = new Map<string, string>()
  for (const status of STATUSES) looks.set(status, JSON.stringify(await lookOf(page, status)))
  expect(Object.fromEntries([...looks].map(([s, l]) => [s, JSON.parse(l)]))).toEqual({
    paid: { border: 'solid', strike: false, fill: 'dark' },
    trial: { border: 'dashed', strike: false, fill: 'light' },
    free: { border: 'solid', strike: false, fill: 'light' },
    churned: { border: 'dotted', strike: true, fill: 'light' },
  })
  // Four statuses, four looks: no two differ only in hue.
  expect(new Set(looks.values()).size).toBe(STATUSES.length)
  expect(problems).toEqual([])
})

/** Tab from the focused element until `target` has focus (at most `max` presses). */
async function tabTo(page: Page, target: string, max = 8) {
  for (let i = 0; i < max; i++) {
    if (await page.locator(target).evaluate((el) => el === document.activeElement)) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`Tab never reached ${target}`)
}

async function saveView(page: Page, query: string, name: string) {
  await page.goto(`${live.server.url}/customers?${query}`)
  await page.locator('#views-rail .rail-list').waitFor()
  await page.getByText('Save view', { exact: true }).click()
  await page.getByLabel('Name this view').fill(name)
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await page.locator('.rail-link', { hasText: name }).waitFor()
}

it('renames a view from the rail with the keyboard alone; a name in use is refused', async () => {
  const { page, problems } = await signedIn()
  await saveView(page, 'status=trial', 'Trials')
  await saveView(page, 'status=paid', 'Payers')
  const railId = async (name: string) =>
    page
      .locator('.rail-item', { has: page.locator('.rail-name', { hasText: name }) })
      .getAttribute('data-view-id')
  const id = await railId('Payers')
  const url = page.url()

  await page.locator(`[data-view-id="${id}"] .rail-menu > summary`).focus()
  await page.keyboard.press('Enter') // opens the menu
  await tabTo(page, `#rename-view-${id}`)
  await page.keyboard.press('Control+A')
  await page.keyboard.type('Paying customers')
  const renamed = page.waitForResponse((r) => r.url().endsWith(`/customers/views/${id}/rename`))
  await page.keyboard.press('Enter')
  expect((await renamed).status()).toBe(200)
  const link = page.locator(`[data-view-id="${id}"] .rail-link`)
  await expect.poll(() => link.locator('.rail-name').textContent()).toBe('Paying customers')
  expect(await link.locator('.rail-count').getAttribute('data-view-count')).toBe('2')
  // Swapped in place: the table's URL unchanged, focus on the renamed view's menu button.
  expect(page.url()).toBe(url)
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
    'Manage the view Paying customers',
  )
  await screenshot(page, 'glance-02-renamed-1280')

  // A name another view has (in any case): refused in the rail, both views as they were.
  const trials = await railId('Trials')
  await page.locator(`[data-view-id="${trials}"] .rail-menu > summary`).focus()
  await page.keyboard.press('Enter')
  await tabTo(page, `#rename-view-${trials}`)
  await page.keyboard.press('Control+A')
  await page.keyboard.type('paying CUSTOMERS')
  const refused = page.waitForResponse((r) => r.url().endsWith(`/customers/views/${trials}/rename`))
  await page.keyboard.press('Enter')
  expect((await refused).status()).toBe(400)
  await expect
    .poll(() => page.locator('#views-rail [role="alert"]').textContent())
    .toBe("The view was not renamed: name: you already have a view named 'paying CUSTOMERS'")

  // A reload repeats nothing: the names are the ones saved.
  await page.reload()
  await page.locator('#views-rail .rail-list').waitFor()
  expect(await page.locator('#views-rail .rail-name').allTextContents()).toEqual([
    'All customers',
    'Trials',
    'Paying customers',
  ])
  expect(await page.locator('#views-rail [role="alert"]').count()).toBe(0)
  // The 400 answer is the refusal itself, not a failure of the page.
  expect(problems.filter((p) => !p.includes('/rename'))).toEqual([])
})

it('shows a row’s params whole on a laptop screen, not cut after the first key', async () => {
  const { page, problems } = await signedIn(1280, 800)
  await page.goto(live.server.url + '/customers?q=a-params')
  const cell = page.locator('td.col-params').first()
  await cell.waitFor()
  await screenshot(page, 'glance-03-params-1280')
  const text = await cell.innerText()
  expect(text).toMatch(/^App A/)
  expect(text).toContain('plan: pro')
  expect(text).toContain('mrr: 29')
  // Nothing of it hidden: no ellipsis, no overflow of the cell or of a line in it (but the
  // project's name, there for screen readers only, a dot showing it).
  const cut = await cell.evaluate((td) =>
    [td, ...td.querySelectorAll<HTMLElement>('*:not(.visually-hidden)')].some(
      (el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
    ),
  )
  expect(cut).toBe(false)
  expect(problems).toEqual([])
})
