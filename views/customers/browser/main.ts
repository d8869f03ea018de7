// The customers table's browser code (bundled by scripts/copy-assets.mjs into
// /assets/build/customers.js; a file, for the CSP). The page works without it — plain links and a
// GET form; this adds the filter builder (./builder.ts), applying a search or a sort as it changes,
// the keys (`/` search, `j`/`k` rows, Enter opens, Esc closes), the drawer's close without a
// reload (on a phone, Tab kept inside the drawer's sheet), the table dimmed with a progress bar
// during a request, and the top of the table after a page change.
import { closePopover, popoverOpen, startBuilder } from './builder.js'
import { isTyping } from './dom.js'

const FORM = 'filters'
const form = () => document.getElementById(FORM) as HTMLFormElement | null

document.documentElement.classList.add('js')

/** The search box and the selects (sort, rows per page) apply as they change. */
function applyAsTyped() {
  let timer: ReturnType<typeof setTimeout> | undefined
  document.addEventListener('input', (e) => {
    const el = e.target as HTMLElement
    if (el.id !== 'f-q') return
    clearTimeout(timer)
    timer = setTimeout(() => form()?.requestSubmit(), 300)
  })
  document.addEventListener('change', (e) => {
    const el = e.target as HTMLElement
    if (el.matches('#f-sort, .limit-select')) form()?.requestSubmit()
  })
  // Enter in the search box applies now. (The form has several text fields, the chips', and no
  // submit button with JavaScript, so the browser would not submit it on Enter by itself.)
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || (e.target as HTMLElement).id !== 'f-q') return
    e.preventDefault()
    clearTimeout(timer)
    form()?.requestSubmit()
  })
}

const rows = () => [...document.querySelectorAll<HTMLElement>('.customers-table tbody tr')]
const rowLink = (tr: HTMLElement) => tr.querySelector<HTMLElement>('.customer-link')

/** `j`/`k` move between rows (focusing the row's email link, so Enter opens the customer). */
function moveRow(by: 1 | -1) {
  const all = rows()
  if (!all.length) return
  const at = all.findIndex((tr) => tr.contains(document.activeElement))
  const next = all[at < 0 ? (by === 1 ? 0 : all.length - 1) : at + by]
  const link = next && rowLink(next)
  if (link) {
    link.focus()
    link.scrollIntoView({ block: 'nearest' })
  }
}

const drawer = () => document.getElementById('drawer')
let drawerOpener: HTMLElement | null = null

/** Closes the drawer in place: the table's URL without `open`, focus back where it opened. */
function closeDrawer(href?: string) {
  const d = drawer()
  if (!d || !d.firstElementChild) return false
  d.replaceChildren()
  const close = href ?? location.pathname + location.search.replace(/([?&])open=[^&]*&?/, '$1')
  history.pushState({ htmx: true }, '', close.replace(/[?&]$/, ''))
  drawerOpener?.focus()
  drawerOpener = null
  return true
}

/** On a phone the drawer is a sheet over the whole page (customers.css): a modal dialog, whose
 *  Tab and Shift+Tab go round its own controls instead of into the page hidden behind it. */
const SHEET = '(max-width: 640px)'
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select, textarea, summary'

function drawerSheet() {
  const panel = () => drawer()?.querySelector<HTMLElement>('.drawer-panel')
  const settle = () => panel()?.setAttribute('aria-modal', String(matchMedia(SHEET).matches))
  settle()
  matchMedia(SHEET).addEventListener('change', settle)
  document.addEventListener('htmx:after:swap', settle)
  document.addEventListener('keydown', (e) => {
    const sheet = panel()
    if (e.key !== 'Tab' || !sheet || !matchMedia(SHEET).matches) return
    const stops = [...sheet.querySelectorAll<HTMLElement>(FOCUSABLE)]
    const [first, last] = [stops[0], stops[stops.length - 1]]
    const at = document.activeElement
    const out = !sheet.contains(at) || at === sheet
    const to = e.shiftKey
      ? out || at === first
        ? last
        : undefined
      : out || at === last
        ? first
        : undefined
    if (!to) return
    e.preventDefault()
    to.focus()
  })
}

function keys() {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (popoverOpen()) return closePopover()
      if (closeDrawer()) return e.preventDefault()
      return
    }
    if (e.metaKey || e.ctrlKey || e.altKey || isTyping(e.target)) return
    if (e.key === '/') {
      e.preventDefault()
      document.getElementById('f-q')?.focus()
    } else if (e.key === 'j' || e.key === 'k') {
      e.preventDefault()
      moveRow(e.key === 'j' ? 1 : -1)
    }
  })
  document.addEventListener('click', (e) => {
    const target = e.target as Element
    const close = target.closest?.<HTMLAnchorElement>('[data-close-drawer]')
    if (close) {
      e.preventDefault()
      closeDrawer(close.getAttribute('href') ?? undefined)
    }
    const badge = target.closest?.<HTMLElement>('.badge[hx-get]')
    if (badge) drawerOpener = badge
  })
}

/** The rail marks the view the table shows (its query is the URL's), and its phone button names it. */
function markRail() {
  const here = location.pathname + location.search
  let showing = ''
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.rail-link')) {
    const href = a.getAttribute('href')
    if (href === here) {
      a.setAttribute('aria-current', 'page')
      showing = `: ${a.querySelector('.rail-name')?.textContent ?? ''}`
    } else a.removeAttribute('aria-current')
  }
  const current = document.querySelector('.rail-toggle-current')
  if (current) current.textContent = showing
}

/** The rail is one Tab stop, the view shown (else the first), and that view's ⋯; ↑/↓, Home and
 *  End move between views, and Tab from one reaches its ⋯. Otherwise every view and its ⋯ were
 *  two Tab stops each before the table. (Only with this script: the rail comes by htmx anyway,
 *  and the views page of its own keeps every stop.) */
function railArrows() {
  const links = () => [...document.querySelectorAll<HTMLElement>('#views-rail .rail-link')]
  const settle = (active?: HTMLElement) => {
    const all = links()
    const inRail = all.find((a) => a.parentElement?.contains(document.activeElement))
    const at = active ?? inRail ?? all.find((a) => a.matches('[aria-current]')) ?? all[0]
    for (const a of all) {
      const stop = a === at ? 0 : -1
      a.tabIndex = stop
      const menu = a.parentElement?.querySelector<HTMLElement>('.rail-menu > summary')
      if (menu) menu.tabIndex = stop
    }
  }
  document.addEventListener('keydown', (e) => {
    const link = (e.target as Element).closest?.<HTMLElement>('#views-rail .rail-link')
    if (!link || e.metaKey || e.ctrlKey || e.altKey) return
    const all = links()
    const at = all.indexOf(link)
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 }[e.key]
    const next = to === undefined ? undefined : all[to]
    if (!next) return
    e.preventDefault()
    settle(next)
    next.focus()
  })
  // After the rail arrives or is drawn again, and after the table changes view (markRail first).
  document.addEventListener('htmx:after:swap', () => settle())
}

/** "Views" on a phone unfolds the rail above the table; picking a view folds it again. Unfolded,
 *  it stays so when the rail is drawn again (a view renamed, moved or deleted from its menu). */
function railToggle() {
  let open = false
  const show = () => {
    document.getElementById('views-rail')?.classList.toggle('is-open', open)
    document.querySelector('.rail-toggle')?.setAttribute('aria-expanded', String(open))
  }
  document.addEventListener('click', (e) => {
    const target = e.target as Element
    if (target.closest?.('.rail-toggle')) open = !open
    else if (target.closest?.('#views-rail .rail-link')) open = false
    else return
    show()
  })
  document.addEventListener('htmx:after:swap', () => {
    if (open) show()
  })
}

function feedback() {
  let pageChange = false
  const layout = () => document.querySelector('.customers-layout')
  document.addEventListener('htmx:before:request', (e) => {
    const source = e.target as Element
    // Only what loads the table marks it loading: the table itself and a view's link in the rail.
    // The rail's own requests (fetching its list on every page load, saving, renaming, deleting a
    // view) redraw the rail alone.
    if (!source.closest?.('#customers, .rail-link')) return
    layout()?.classList.add('is-loading')
    pageChange = !!source.closest?.('.pager')
  })
  document.addEventListener('htmx:finally:request', () => layout()?.classList.remove('is-loading'))
  document.addEventListener('htmx:after:swap', (e) => {
    markRail()
    const target = (e as CustomEvent<{ ctx?: { target?: Element } }>).detail?.ctx?.target
    if (target?.id === 'drawer' || drawer()?.contains(e.target as Node)) {
      drawer()?.querySelector<HTMLElement>('.drawer-panel')?.focus()
    }
    if (pageChange) {
      pageChange = false
      const wrap = document.querySelector<HTMLElement>('.table-wrap')
      document.getElementById('customers')?.scrollIntoView({ block: 'start' })
      if (wrap) {
        wrap.tabIndex = -1
        wrap.focus({ preventScroll: true })
      }
    }
  })
}

/** After a rail menu's action (rename, move, delete) the rail is drawn again: focus goes back to
 *  that view's menu button (or, the view deleted, to the rail's first view; a rename refused, to
 *  its name field), not to the page. */
function railFocus() {
  let acted: string | undefined
  document.addEventListener('htmx:before:request', (e) => {
    const source = e.target as Element
    acted = source.closest?.('.rail-menu')
      ? (source.closest<HTMLElement>('[data-view-id]')?.dataset.viewId ?? '')
      : undefined
  })
  document.addEventListener('htmx:after:swap', () => {
    if (acted === undefined) return
    const rail = document.getElementById('views-rail')
    const menu = rail?.querySelector<HTMLElement>(`[data-view-id="${acted}"] .rail-menu > summary`)
    acted = undefined
    // A refused rename comes back with its name field marked autofocus: into it, to correct.
    const refused = rail?.querySelector<HTMLInputElement>('input[autofocus]')
    if (refused) return refused.select()
    ;(menu ?? rail?.querySelector<HTMLElement>('.rail-link'))?.focus()
  })
}

/** "Filters (n)" on a phone shows and hides the chips. Opened, they stay open while filters are
 *  added, edited and removed: each change redraws the toolbar as the server renders it (closed). */
function filtersToggle() {
  let open = false
  const show = () => {
    document.querySelector('.filters-toggle')?.setAttribute('aria-expanded', String(open))
    document.getElementById('filter-chips')?.classList.toggle('is-open', open)
  }
  document.addEventListener('click', (e) => {
    const button = (e.target as Element).closest?.<HTMLElement>('.filters-toggle')
    if (!button) return
    open = button.getAttribute('aria-expanded') !== 'true'
    show()
  })
  document.addEventListener('htmx:after:swap', () => {
    if (open) show()
  })
}

applyAsTyped()
keys()
drawerSheet()
feedback()
railToggle() // before railFocus: a rail drawn again is unfolded before focus goes into it
railFocus()
filtersToggle()
railArrows()
startBuilder()
markRail()
