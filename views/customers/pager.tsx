// The table's pager: previous / next, where this page is ("51–100 of 2,258"), rows per page.
import type { CustomerPage, Summary } from '../../src/customers/query.js'
import { number } from './summary.js'
import { FORM_ID, customersUrl, swap, tableQuery } from './urls.js'

export const PAGE_SIZES = [25, 50, 100, 200]

/** Previous / next, where this page is ("51–100 of 2,258"), and rows per page (a field of the
 *  filter form, so a filter change keeps it). */
export function Pager(props: {
  query: URLSearchParams
  data: CustomerPage & { summary: Summary }
}) {
  const { query, data } = props
  const { summary, rows } = data
  const from = summary.offset + 1
  const to = summary.offset + rows.length
  const limit = query.get('limit') ?? '50'
  const base = tableQuery(query)
  // Back to the first page is the plain URL, not a cursor one.
  const prevHref =
    data.prev && summary.offset > Number(limit)
      ? customersUrl(base, { before: data.prev })
      : data.prev
        ? customersUrl(base)
        : undefined
  const sizes = PAGE_SIZES.map(String).includes(limit)
    ? PAGE_SIZES.map(String)
    : [limit, ...PAGE_SIZES.map(String)]
  return (
    <nav class="pager" aria-label="Pages">
      <p class="pager-position">
        {rows.length ? `${number.format(from)}–${number.format(to)}` : '0'} of{' '}
        {summary.exact ? '' : 'about '}
        {number.format(summary.count)}
      </p>
      <label class="pager-size">
        Rows per page{' '}
        <select name="limit" form={FORM_ID} class="limit-select">
          {sizes.map((n) => (
            <option value={n === '50' ? '' : n} selected={n === limit}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <span class="pager-links">
        {prevHref ? (
          <a
            rel="prev"
            class="button button-secondary button-small"
            id="pager-prev"
            {...swap(prevHref)}
          >
            ← Previous
          </a>
        ) : (
          <span class="button button-secondary button-small" aria-disabled="true">
            ← Previous
          </span>
        )}
        {data.next ? (
          <a
            rel="next"
            class="button button-secondary button-small"
            id="pager-next"
            {...swap(customersUrl(base, { after: data.next }))}
          >
            Next →
          </a>
        ) : (
          <span class="button button-secondary button-small" aria-disabled="true">
            Next →
          </span>
        )}
      </span>
    </nav>
  )
}
