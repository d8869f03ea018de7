// In Chromium against the real server: the filter builder. Questions 5 and 12 of the README built
// by clicking only (no URL typed) give the same customers as the README's URLs; question 5 again
// with the keyboard alone; every README question URL loaded and applied unchanged keeps its count;
// `/`, `j`/`k`, Enter and Esc; a saved view in the rail with its count; 15+ rows above the fold at
// 1280×800, the first customer on the first screen at 390×844; screenshots at both widths;
// nothing past a 390 px screen's edge; "between" waits for both bounds; the picker takes typing
// before its fields arrive; "Status changed" (changed=) built by clicking and by keyboard, its chip
// edited in the same editor, and carried by the plain form without JavaScript; typing still
// waiting for its pause applies as its editor closes, never later over the next edit.
import { beforeAll, expect, it } from 'vitest'
type Box = { x: number; y: number; width: number; height: number }
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

// [email, status on App A, status on App B, params on B]
const PEOPLE: [string, string | null, string | null, Record<string, unknown>?][] = [
  ['alex', 'free', 'paid', { plan: 'pro', mrr: 29 }], // question 5
  ['bea', 'free', 'free'],
  ['cy', 'paid', 'paid', { plan: 'basic', mrr: 9 }],
  ['dee', 'churned', 'trial'], // question 12
  ['eve', 'churned', null],
  ['fay', 'churned', 'paid', { plan: 'pro', mrr: 49 }], // question 12
]

const LONG_EMAIL = 'zz.someone.with.a.rather.long.address@subdomain.example-company.com'

beforeAll(async () => {
  cookies = await signedUpAccount(
    live,
    'builder@example.com',
    ['App A', 'App B'],
    async (base, keys) => {
      for (const [who, a, b, params] of PEOPLE) {
        const email = `${who}@example.com`
        if (a) await identify(base, keys[0]!, { email, status: a })
        if (b) await identify(base, keys[1]!, { email, status: b, params: params ?? {} })
      }
      // Unnamed, with an email longer than a phone is wide: its page's heading must wrap.
      await identify(base, keys[0]!, { email: LONG_EMAIL, status: 'free' })
      for (let i = 1; i <= 24; i++) {
        await identify(base, keys[0]!, { email: `user${i}@example.com`, status: 'free' })
      }
    },
  )
}, 300_000) // the sign-up and seeding through Chromium, on a busy machine

const signedIn = (width = 1280, height = 800) => newPage(live.browser, { width, height, cookies })

const rows = (page: Page) =>
  page
    .locator('.customers-table tbody tr')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-customer')!.split('@')[0]).sort())
const count = (page: Page) => page.locator('#customers [data-count]').getAttribute('data-count')
const query = (page: Page) => decodeURIComponent(new URL(page.url()).search)

/** "+ Filter", a product, its statuses ticked, Done: by clicking only. */
async function addProjectFilter(page: Page, product: string, statuses: string[]) {
  await page.locator('.add-filter > summary').click()
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await picker.getByRole('button', { name: new RegExp(`^${product}`) }).click()
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  for (const s of statuses) {
    await editor.getByRole('checkbox', { name: s, exact: true }).check()
  }
  await editor.getByRole('button', { name: 'Done' }).click()
  // The table answers with the filter applied (and its URL) before the next "+ Filter": a click
  // while the answer is on its way opens the picker it is about to replace.
  const slug = product.toLowerCase().replace(/ /g, '-')
  await expect.poll(() => query(page)).toContain(`in=${slug}:`)
}

it('builds question 5 and question 12 by clicking, with the README URLs’ customers', async () => {
  const { page, problems } = await signedIn()
  const expected = async (url: string) => {
    await page.goto(live.server.url + url)
    return rows(page)
  }
  const q5 = await expected('/customers?in=app-a:free&in=app-b:paid')
  const q12 = await expected('/customers?in=app-a:churned&in=app-b:free,trial,paid')
  expect(q5).toEqual(['alex'])
  expect(q12).toEqual(['dee', 'fay'])

  await page.goto(live.server.url + '/customers')
  await addProjectFilter(page, 'App A', ['free'])
  await addProjectFilter(page, 'App B', ['paid'])
  await expect.poll(() => query(page)).toBe('?in=app-a:free&in=app-b:paid')
  await expect.poll(() => rows(page)).toEqual(q5)
  await expect(page.locator('.chip summary').allTextContents()).resolves.toEqual([
    'App A is free',
    'App B is paid',
  ])
  await screenshot(page, 'builder-01-question-5-1280')

  await page.goto(live.server.url + '/customers')
  await addProjectFilter(page, 'App A', ['churned'])
  await addProjectFilter(page, 'App B', ['free', 'trial', 'paid'])
  await expect.poll(() => query(page)).toBe('?in=app-a:churned&in=app-b:free,trial,paid')
  await expect.poll(() => rows(page)).toEqual(q12)

  // A chip edits in place: untick trial on App B, the table follows; remove it with its ✕.
  await page.locator('.chip summary', { hasText: 'App B is' }).click()
  await page
    .getByRole('dialog', { name: 'Edit filter' })
    .getByRole('checkbox', { name: 'trial' })
    .uncheck()
  await expect.poll(() => query(page)).toBe('?in=app-a:churned&in=app-b:free,paid')
  await expect.poll(() => rows(page)).toEqual(['fay'])
  await page.keyboard.press('Escape')
  await page.getByRole('link', { name: /^Remove filter: App B/ }).click()
  await expect.poll(() => query(page)).toBe('?in=app-a:churned')
  expect(problems).toEqual([])
})

it('builds question 5 with the keyboard alone', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers')
  for (const [product, status] of [
    ['App A', 'free'],
    ['App B', 'paid'],
  ] as const) {
    await page.locator('.add-filter > summary').focus()
    await page.keyboard.press('Enter') // opens the picker, focus in its search box
    await page.getByRole('dialog', { name: 'Filter by' }).waitFor()
    await page.keyboard.type(product)
    await page.keyboard.press('Enter') // picks the first field shown
    const editor = page.getByRole('dialog', { name: 'Add a filter' })
    await editor.waitFor()
    const box = editor.getByRole('checkbox', { name: status, exact: true })
    for (let i = 0; i < 12 && !(await box.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab')
    }
    await page.keyboard.press('Space')
    await expect.poll(() => query(page)).toContain(`${product === 'App A' ? 'app-a' : 'app-b'}:`)
    await page.keyboard.press('Escape')
  }
  await expect.poll(() => query(page)).toBe('?in=app-a:free&in=app-b:paid')
  await expect.poll(() => rows(page)).toEqual(['alex'])

  // `/` search, `j`/`k` rows, Enter opens the customer.
  await page.keyboard.press('Escape')
  await page.locator('body').focus()
  await page.keyboard.press('/')
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-q')
  await page.goto(live.server.url + '/customers?sort=email')
  await page.keyboard.press('j')
  await page.keyboard.press('j')
  await page.keyboard.press('k')
  await page.keyboard.press('j')
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('bea@example.com')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/customers\/\d+\?back=sort%3Demail$/)

  // A badge opens the drawer without moving the table; Esc closes it and gives focus back.
  await page.goto(live.server.url + '/customers?sort=email')
  const before = await page.locator('tr[data-customer="alex@example.com"]').boundingBox()
  await page.locator('tr[data-customer="alex@example.com"] .badge[data-project="app-b"]').click()
  await page.getByRole('dialog', { name: 'alex@example.com' }).waitFor()
  await page.waitForURL(/open=\d+\.app-b/)
  expect(await page.locator('tr[data-customer="alex@example.com"]').boundingBox()).toEqual(before)
  await screenshot(page, 'builder-02-drawer-1280')
  await page.keyboard.press('Escape')
  await expect.poll(() => page.locator('#drawer').innerHTML()).toBe('')
  expect(page.url()).not.toContain('open=')
  expect(problems).toEqual([])
})

const README_URLS = [
  'in=app-a',
  'in=app-b:paid',
  'in=app-a&in=app-b',
  'min_projects=2',
  'min_projects=3',
  'in=app-a&not_in=app-b',
  'in=app-a:free&in=app-b:paid',
  'status=trial',
  'in=app-b:trial',
  'inactive=30&sort=last_activity',
  'inactive=30@app-a&sort=last_activity',
  'seen_before=14d&status=free&not_status=paid,trial',
  'in=app-a:free&seen_before=14d@app-a',
  'p=source:eq:producthunt',
  'p=plan:eq:pro&sum=mrr',
  'p=trial_ends:between:2026-03-23,2026-03-29',
  'in=app-a:churned&in=app-b:free,trial,paid',
  'in=app-a:churned&active=30@app-b',
  'p=role:eq:admin',
  'p=beta:eq:true',
  'q=alex',
  'changed=status:paid@app-a:7d',
]

it('every README question URL, applied unchanged, keeps its count and its URL', async () => {
  const { page, problems } = await signedIn()
  for (const q of README_URLS) {
    await page.goto(`${live.server.url}/customers?${q}`)
    const before = await count(page)
    expect(before, q).not.toBeNull()
    const shown = await page.locator('.chip summary').allTextContents()
    // Apply with nothing changed: Enter in the search box submits the whole form.
    const answered = page.waitForResponse(
      (r) => r.url().includes('/customers?') && r.request().headers()['hx-request'] === 'true',
    )
    await page.locator('#f-q').press('Enter')
    expect((await answered).status(), q).toBe(200)
    await expect.poll(() => count(page)).toBe(before)
    expect(new URL(page.url()).search, q).toBe(`?${q}`)
    expect(await page.locator('.chip summary').allTextContents(), q).toEqual(shown)
  }
  expect(problems).toEqual([])
})

it('saves a view and shows it in the rail with its live count', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers?in=app-b:paid')
  // The ready views came with the second project.
  // The rail (and its counts) arrives after the table, in its own request.
  const ready = page.locator('.rail-link', { hasText: /^Paid on App B/ })
  await ready.waitFor()
  expect(await ready.locator('.rail-count').getAttribute('data-view-count')).toBe('3')
  await page.getByText('Save view').click()
  await page.getByLabel('Name this view').fill('B payers')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await page.waitForURL(/\/customers\?in=app-b:paid$/)
  const saved = page.locator('.rail-link', { hasText: 'B payers' })
  await saved.waitFor()
  expect(await saved.getAttribute('aria-current')).toBe('page')
  expect(await saved.locator('.rail-count').getAttribute('data-view-count')).toBe('3')
  expect(problems).toEqual([])
})

it('shows 15+ rows at 1280×800, the first customer on the first screen at 390×844', async () => {
  const desk = await signedIn(1280, 800)
  await desk.page.goto(live.server.url + '/customers')
  await desk.page.locator('#views-rail .rail-list').waitFor()
  const visible = await desk.page
    .locator('.customers-table tbody tr')
    .evaluateAll((trs) => trs.filter((tr) => tr.getBoundingClientRect().bottom <= 800).length)
  expect(visible).toBeGreaterThanOrEqual(15)
  await screenshot(desk.page, 'builder-03-table-1280')

  // At 1440 px "Last active" holds its longest wording whole (the seeded rows say "just now").
  const wider = await signedIn(1440, 900)
  await wider.page.goto(live.server.url + '/customers')
  const cut = await wider.page
    .locator('td.col-active')
    .first()
    .evaluate((td) => {
      td.querySelector('.age')!.textContent = ' · 18 minutes ago'
      return td.scrollWidth > td.clientWidth
    })
  expect(cut).toBe(false)

  const phone = await signedIn(390, 844)
  await phone.page.goto(live.server.url + '/customers?in=app-b')
  const first = await phone.page.locator('.customers-table tbody tr').first().boundingBox()
  expect(first!.y).toBeLessThan(844 - 40)
  await phone.page.getByRole('button', { name: /^Filters \(1\)/ }).click()
  await expect(phone.page.locator('.chip').first().isVisible()).resolves.toBe(true)
  await screenshot(phone.page, 'builder-04-table-390')
  // Nothing wider than the screen; the search box usable; no control over another.
  const box = async (selector: string) => (await phone.page.locator(selector).boundingBox())!
  const overlap = (a: Box, b: Box) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
  expect((await box('#f-q')).width).toBeGreaterThan(150)
  const controls = ['#f-q', '#f-sort', '.save-view > summary', '.filters-toggle']
  const boxes = await Promise.all(controls.map(box))
  for (const [i, a] of boxes.entries()) {
    for (const [j, b] of boxes.slice(i + 1).entries()) {
      expect(overlap(a, b), `${controls[i]} / ${controls[i + 1 + j]}`).toBe(false)
    }
  }
  // The elements that reach past the screen's edge (none).
  const wide = () =>
    phone.page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > 390.5)
        .map((el) => `${el.tagName}.${el.className}`),
    )
  expect(await wide()).toEqual([])
  await phone.page.goto(`${live.server.url}/customers?q=${LONG_EMAIL}`)
  await phone.page.getByRole('link', { name: LONG_EMAIL }).click()
  await phone.page.waitForURL(/\/customers\/\d+/)
  expect(await wide()).toEqual([])
  expect([...desk.problems, ...wider.problems, ...phone.problems]).toEqual([])
})

/** The customers page, "+ Filter", a field picked by its label: its editor, on a fresh page. */
async function pickField(label: RegExp) {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers')
  await page.locator('.add-filter > summary').click()
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await picker.getByRole('button', { name: label }).click()
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  return { page, problems, editor, status: editor.locator('.popover-status') }
}

it('between starts with two empty boxes and applies only once both bounds are valid', async () => {
  const { page, problems, editor, status } = await pickField(/^mrr \(App B\)/)
  await editor.getByLabel('Operator').selectOption('between')
  const from = editor.getByLabel('From', { exact: true })
  const to = editor.getByLabel('To', { exact: true })
  expect([await from.inputValue(), await to.inputValue()]).toEqual(['', ''])
  await from.fill('10')
  await expect.poll(() => status.textContent()).toMatch(/^Not applied yet: .*two values/)
  expect(query(page)).toBe('')
  await to.fill('40')
  await expect.poll(() => query(page)).toBe('?p=app-b.mrr:between:10,40')
  await expect.poll(() => rows(page)).toEqual(['alex'])
  expect(problems).toEqual([])
})

it('a text param starts with an empty box and applies nothing until a value is typed', async () => {
  const { page, problems, editor, status } = await pickField(/^plan \(App B\)/)
  const value = editor.getByLabel('Value', { exact: true })
  expect(await value.inputValue()).toBe('')
  await expect.poll(() => status.textContent()).toMatch(/^Not applied yet: .*needs a value/)
  expect(query(page)).toBe('')
  await value.fill('pro')
  await expect.poll(() => query(page)).toBe('?p=app-b.plan:eq:pro')
  await expect.poll(() => rows(page)).toEqual(['alex', 'fay'])
  expect(problems).toEqual([])
})

it('"+ Filter" focuses its search box before the fields arrive, and keeps what was typed', async () => {
  const { page, problems } = await signedIn()
  let release = () => {}
  const held = new Promise<void>((r) => (release = r))
  await page.route('**/customers/fields', async (route) => {
    await held
    await route.continue()
  })
  await page.goto(live.server.url + '/customers')
  await page.locator('.add-filter > summary').focus()
  await page.keyboard.press('Enter')
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
    .toBe('Find a field')
  await page.keyboard.type('Sum of mrr')
  await page.keyboard.press('Enter') // before the list is there: picks once it is
  release()
  await expect.poll(() => query(page)).toBe('?sum=app-b.mrr')
  await page.keyboard.press('Escape')

  // Enter with a text that matches nothing applies nothing.
  await page.locator('.add-filter > summary').focus()
  await page.keyboard.press('Enter')
  await page.keyboard.type('Invoice')
  await page.keyboard.press('Enter')
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await expect.poll(() => picker.getByText('No such field.').isVisible()).toBe(true)
  expect(await picker.getByRole('searchbox').inputValue()).toBe('Invoice')
  expect(query(page)).toBe('?sum=app-b.mrr')
  expect(problems).toEqual([])
})

it('builds "became paid in App B in the last 7 days" by clicking and typing, and edits its chip', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers?changed=status:paid@app-b:7d')
  const expected = await rows(page)
  expect(expected).toEqual(['alex', 'cy', 'fay'])

  await page.goto(live.server.url + '/customers')
  await page.locator('.add-filter > summary').click()
  const picker = page.getByRole('dialog', { name: 'Filter by' })
  await picker.getByRole('button', { name: /^Status changed/ }).click()
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  await editor.getByRole('checkbox', { name: 'paid', exact: true }).check()
  await editor.getByLabel('In', { exact: true }).selectOption({ label: 'App B' })
  await editor.getByLabel('Days (N)').fill('7')
  await editor.getByRole('button', { name: 'Done' }).click()
  await expect.poll(() => query(page)).toBe('?changed=status:paid@app-b:7d')
  await expect.poll(() => rows(page)).toEqual(expected)
  await expect(page.locator('.chip summary').allTextContents()).resolves.toEqual([
    'Became paid in App B in the last 7 days',
  ])

  // The chip opens the same editor (no text box): trial instead of paid, then since a date.
  await page.locator('.chip summary', { hasText: 'Became paid' }).click()
  const edit = page.getByRole('dialog', { name: 'Edit filter' })
  await edit.getByRole('checkbox', { name: 'paid', exact: true }).uncheck()
  await edit.getByRole('checkbox', { name: 'trial', exact: true }).check()
  await expect.poll(() => query(page)).toBe('?changed=status:trial@app-b:7d')
  await expect.poll(() => rows(page)).toEqual(['dee'])
  await edit.getByRole('radio', { name: 'from a date' }).check()
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
  await edit.getByLabel('Date', { exact: true }).fill(yesterday)
  await expect.poll(() => query(page)).toBe(`?changed=status:trial@app-b:${yesterday}`)
  await expect.poll(() => rows(page)).toEqual(['dee'])
  await page.keyboard.press('Escape')
  expect(await page.locator('.chip summary').textContent()).toMatch(
    /^Became trial in App B since \d{1,2} [A-Z][a-z]{2} \d{4}$/,
  )

  // Without JavaScript: each changed= is a chip and a field of the plain form; "+ Filter" has one.
  const plain = await live.browser.newContext({ javaScriptEnabled: false })
  await plain.addCookies(cookies)
  const noJs = await plain.newPage()
  await noJs.goto(live.server.url + '/customers?changed=status:churned:2026-01-01')
  await noJs.locator('.add-filter > summary').click()
  await noJs.getByLabel(/^Status changed to/).fill('status:paid@app-b:7d')
  await noJs.locator('.add-filter-fields').getByRole('button', { name: 'Apply' }).click()
  await noJs.waitForURL(/changed=status:paid/)
  expect(query(noJs)).toBe('?changed=status:churned:2026-01-01&changed=status:paid@app-b:7d')
  expect(await noJs.locator('.chip summary').allTextContents()).toEqual([
    'Became churned anywhere since 1 Jan 2026',
    'Became paid in App B in the last 7 days',
  ])
  expect(await rows(noJs)).toEqual(['fay'])
  await plain.close()
  expect(problems).toEqual([])
})

it('an edit still waiting for a pause in the typing applies as its editor closes, and only then', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers?changed=status:paid@app-b:7d')
  await page.locator('.chip summary', { hasText: 'Became paid' }).click()
  const edit = page.getByRole('dialog', { name: 'Edit filter' })
  await edit.getByLabel('Days (N)').waitFor()
  // Typed and closed in one go, before the pause that applies typing: the chip holds it at once.
  const held = await edit.evaluate((popover) => {
    const label = [...popover.querySelectorAll('label')].find((l) => l.textContent === 'Days (N)')!
    const days = document.getElementById(label.htmlFor) as HTMLInputElement
    days.focus()
    days.value = '3'
    days.dispatchEvent(new Event('input', { bubbles: true }))
    ;[...popover.querySelectorAll('button')].find((b) => b.textContent === 'Done')!.click()
    return document.querySelector<HTMLInputElement>('#filters .chip-input')?.value
  })
  expect(held).toBe('status:paid@app-b:3d')
  await expect.poll(() => query(page)).toBe('?changed=status:paid@app-b:3d')

  // The next edit of the chip is not written over later by the closed editor's typing.
  await page.locator('.chip summary', { hasText: 'Became paid' }).click()
  await edit.getByRole('checkbox', { name: 'paid', exact: true }).uncheck()
  await edit.getByRole('checkbox', { name: 'trial', exact: true }).check()
  await expect.poll(() => query(page)).toBe('?changed=status:trial@app-b:3d')
  await page.waitForTimeout(600) // longer than the typing pause
  expect(query(page)).toBe('?changed=status:trial@app-b:3d')
  await expect.poll(() => rows(page)).toEqual(['dee'])
  expect(problems).toEqual([])
})

it('builds a status change with the keyboard alone, and edits it', async () => {
  const { page, problems } = await signedIn()
  await page.goto(live.server.url + '/customers')
  const focusOn = async (control: ReturnType<Page['locator']>) => {
    for (
      let i = 0;
      i < 12 && !(await control.evaluate((el) => el === document.activeElement));
      i++
    ) {
      await page.keyboard.press('Tab')
    }
  }
  await page.locator('.add-filter > summary').focus()
  await page.keyboard.press('Enter')
  await page.getByRole('dialog', { name: 'Filter by' }).waitFor()
  await page.keyboard.type('Status changed')
  await page.keyboard.press('Enter')
  const editor = page.getByRole('dialog', { name: 'Add a filter' })
  await focusOn(editor.getByRole('checkbox', { name: 'paid', exact: true }))
  await page.keyboard.press('Space')
  await expect.poll(() => query(page)).toBe('?changed=status:paid:7d')
  const where = editor.getByLabel('In', { exact: true })
  await focusOn(where)
  for (let i = 0; i < 4 && (await where.inputValue()) !== 'app-b'; i++) {
    await page.keyboard.press('ArrowDown')
  }
  await expect.poll(() => query(page)).toBe('?changed=status:paid@app-b:7d')
  await expect.poll(() => rows(page)).toEqual(['alex', 'cy', 'fay'])
  await page.keyboard.press('Escape')

  await page.locator('.chip summary').focus()
  await page.keyboard.press('Enter')
  const edit = page.getByRole('dialog', { name: 'Edit filter' })
  await focusOn(edit.getByRole('checkbox', { name: 'paid', exact: true }))
  await page.keyboard.press('Space')
  await page.keyboard.press('Shift+Tab') // trial
  await page.keyboard.press('Space')
  await expect.poll(() => query(page)).toBe('?changed=status:trial@app-b:7d')
  await expect.poll(() => rows(page)).toEqual(['dee'])
  expect(problems).toEqual([])
})
