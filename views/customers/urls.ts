// The customers table's URLs: the filter lives in the query string, so every change of view is a
// link to another /customers URL, and htmx morphs the #customers section into it and pushes that
// URL (morphing keeps focus and what is being typed). URLs are written readable
// (`in=app-a:paid`), as the filter language documents them.
import { queryString } from '../../src/customers/filter-syntax.js'

export const SECTION_ID = 'customers'
export const FORM_ID = 'filters'

/** The htmx attributes of everything that changes the view: morph #customers, push the URL. */
export const swap = (href: string) => ({
  href,
  'hx-get': href,
  'hx-target': `#${SECTION_ID}`,
  'hx-swap': 'outerMorph',
  'hx-push-url': 'true',
})

/** `/customers?…` with `change` applied to a copy of the query (a null value removes the key). */
export function customersUrl(query: URLSearchParams, change: Record<string, string | null> = {}) {
  const q = new URLSearchParams(query)
  for (const [k, v] of Object.entries(change)) {
    if (v === null) q.delete(k)
    else q.set(k, v)
  }
  for (const [k, v] of [...q.entries()]) if (v === '') q.delete(k, v)
  const s = queryString(q)
  return s ? `/customers?${s}` : '/customers'
}

/** The table's filter without its page and open panel: what a view saves, a back link returns
 *  to, and a filter change starts from. */
export function tableQuery(query: URLSearchParams): URLSearchParams {
  const q = shownQuery(query)
  q.delete('after')
  q.delete('before')
  return q
}

/** The table as shown, its page too (the cursor), without the open panel: what a badge's details,
 *  the drawer's close link and a customer page's back link keep, so that reload, Back and a shared
 *  link show that page, not the first. */
export function shownQuery(query: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams(query)
  q.delete('open')
  return q
}

/** The query without one of its entries (a filter chip's ✕ link), from the first page. */
export function without(query: URLSearchParams, key: string, value: string) {
  const q = new URLSearchParams()
  let removed = false
  for (const [k, v] of tableQuery(query)) {
    if (!removed && k === key && v === value) removed = true
    else q.append(k, v)
  }
  return customersUrl(q)
}

/** The table's filter with one more condition, from the first page (none when it has it). A
 *  project's status replaces the plain use of that project (`in=app-a` → `in=app-a:trial`). */
export function narrowed(query: URLSearchParams, key: string, value: string): string | undefined {
  const q = tableQuery(query)
  if (q.getAll(key).includes(value)) return undefined
  const plain = key === 'in' ? value.slice(0, value.indexOf(':')) : undefined
  if (plain && q.getAll('in').includes(plain)) q.delete('in', plain)
  q.append(key, value)
  return customersUrl(q)
}

/** The CSV export of the whole segment: the filter without the view's page, size or panel. */
export function exportHref(query: URLSearchParams): string {
  const q = tableQuery(query)
  q.delete('limit')
  const s = queryString(q)
  return `/customers/export.csv${s ? `?${s}` : ''}`
}

/** A customer's page, with the table to go back to. */
export function customerHref(id: number, query: URLSearchParams): string {
  const back = queryString(shownQuery(query))
  return `/customers/${id}${back ? `?back=${encodeURIComponent(back)}` : ''}`
}

/** Where a customer page's back link goes: the table it was opened from (only ever a
 *  /customers URL, whatever `back` holds). */
export function backHref(back: string | undefined): string {
  return customersUrl(shownQuery(new URLSearchParams(back ?? '')))
}
