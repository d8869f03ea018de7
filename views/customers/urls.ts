// The customers table's URLs: the filter lives in the query string, so every change of view is a
// link to another /customers URL, and htmx swaps the #customers section and pushes that URL.
export const SECTION_ID = 'customers'
/** The htmx attributes of everything that changes the view: swap #customers, push the URL. */
export const swap = (href: string) => ({
  href,
  'hx-get': href,
  'hx-target': `#${SECTION_ID}`,
  'hx-swap': 'outerHTML',
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
  const s = q.toString()
  return s ? `/customers?${s}` : '/customers'
}

/** The query without one of its entries (a filter chip's ✕ link). */
export function without(query: URLSearchParams, key: string, value: string) {
  const q = new URLSearchParams()
  let removed = false
  for (const [k, v] of query.entries()) {
    if (!removed && k === key && v === value) removed = true
    else q.append(k, v)
  }
  q.delete('after')
  q.delete('open')
  return customersUrl(q)
}

/** The CSV export of the whole segment: the filter without the view's page, size or open badge. */
export function exportHref(query: URLSearchParams): string {
  const q = new URLSearchParams(query)
  for (const k of ['open', 'after', 'limit']) q.delete(k)
  return `/customers/export.csv${q.size ? `?${q}` : ''}`
}
