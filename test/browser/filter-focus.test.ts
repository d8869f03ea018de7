// In Chromium against the real server: a keyboard user who leaves the filter popover (Esc, or Tab
// past its last control) while the table it changed is still on its way lands, once the table is
// drawn, on the chip they were editing: never on "+ Filter" nor on the page's body. The table's
// answer is held back by the test (a gate on the request, released by hand, no timing) so the
// popover closes before it arrives. (Until it arrives, a new filter has no chip yet: focus waits
// on "+ Filter", where the popover was opened.)
import { beforeAll, expect, it } from 'vitest'
import type { Page, Route } from 'playwright-core'
import { identify, newPage, signedUpAccount, useLiveApp, type Cookies } from './harness.js'

const live = useLiveApp()
let cookies: Cookies

beforeAll(async () => {
  cookies = await signedUpAccount(live, 'focus@example.com', ['App A'], async (base, [a]) => {
    await identify(base, a!, { email: 'free@x.io', status: 'free' })
    await identify(base, a!, { email: 'paid@x.io', status: 'paid' })
  })
}, 300_000)

/** Holds the table's next htmx requests until `release()`; `asked()` is the query of the last
 *  one held. (The filter form's requests replace one another: picking "App A" asks for the table
 *  at once and the next edit aborts that request, which may or may not have reached the gate.) */
async function holdTable(page: Page) {
  const waiting: Route[] = []
  await page.route(
    (url) => url.pathname === '/customers',
    (route) => {
      if (route.request().headers()['hx-request'] === 'true') waiting.push(route)
      else void route.continue()
    },
  )
  return {
    asked: () => {
      const last = waiting.at(-1)
      return last ? new URL(last.request().url()).search : ''
    },
    release: async () => {
      await page.unroute((url) => url.pathname === '/customers')
      // An aborted request cannot be continued: nothing waits for it.
      for (const r of waiting.splice(0)) await r.continue().catch(() => {})
    },
  }
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement
    return el?.closest('.chip') ? `chip: ${el.textContent}` : (el?.textContent ?? el?.tagName)
  })

/** Tab until `text`'s control in the popover has focus (a bounded walk, not a timer). */
async function tabTo(page: Page, name: string) {
  for (let i = 0; i < 12; i++) {
    const at = await page.evaluate(() => document.activeElement?.textContent?.trim())
    if (at === name) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`no ${name} in the popover`)
}

for (const leave of ['Escape', 'Tab'] as const) {
  it(`${leave} out of a new filter's editor, the table on its way: focus lands on its chip`, async () => {
    const { page, problems } = await newPage(live.browser, { cookies })
    await page.goto(`${live.server.url}/customers`)
    const gate = await holdTable(page)
    await page.locator('.add-filter > summary').focus()
    await page.keyboard.press('Enter')
    const picker = page.getByRole('dialog', { name: 'Filter by' })
    await picker.getByRole('button', { name: /^App A/ }).focus()
    await page.keyboard.press('Enter')
    const editor = page.getByRole('dialog', { name: 'Add a filter' })
    await editor.getByRole('checkbox', { name: 'paid', exact: true }).focus()
    await page.keyboard.press('Space') // applied at once: the table is asked for
    await expect.poll(gate.asked).toContain('&in=app-a%3Apaid&')
    if (leave === 'Tab') await tabTo(page, 'Remove filter')
    await page.keyboard.press(leave)
    await expect(editor.count()).resolves.toBe(0)
    await gate.release()
    await expect
      .poll(() => page.locator('.chip summary').allTextContents())
      .toEqual(['App A is paid'])
    await expect.poll(() => focused(page)).toBe('chip: App A is paid')
    expect(problems).toEqual([])
  })

  it(`${leave} out of a chip's editor, the table on its way: focus stays on that chip`, async () => {
    const { page, problems } = await newPage(live.browser, { cookies })
    await page.goto(`${live.server.url}/customers?in=app-a:free`)
    const gate = await holdTable(page)
    await page.locator('.chip summary').focus()
    await page.keyboard.press('Enter')
    const editor = page.getByRole('dialog', { name: 'Edit filter' })
    await editor.getByRole('checkbox', { name: 'paid', exact: true }).focus()
    await page.keyboard.press('Space')
    await expect.poll(gate.asked).toContain('paid')
    if (leave === 'Tab') await tabTo(page, 'Remove filter')
    await page.keyboard.press(leave)
    await expect(editor.count()).resolves.toBe(0)
    await gate.release()
    await expect
      .poll(() => page.locator('#customers [data-count]').getAttribute('data-count'))
      .toBe('2')
    await expect.poll(() => focused(page)).toBe('chip: App A is free or paid')
    expect(problems).toEqual([])
  })
}
