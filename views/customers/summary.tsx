// The segment's numbers beside the page title: the count, the status breakdown (by best status, or
// per project the filter names) and the sum of a param over the matched relations and over all
// their products.
import type { Summary } from '../../src/customers/query.js'
import { STATUSES, type Status } from '../../src/lib/status.js'
import { narrowed, swap } from './urls.js'

export const number = new Intl.NumberFormat('en', { maximumFractionDigits: 2 })

/** A status as a small swatch in the badges' own style (the legend of the table's badges); with
 *  `href`, a link to the segment narrowed to that status. */
export function StatusCount({
  status,
  n,
  href,
  title,
}: {
  status: Status
  n: number
  href?: string | undefined
  title?: string
}) {
  const inner = (
    <>
      <span class={`status-swatch status-${status}`} aria-hidden="true" />
      {status} <strong>{number.format(n)}</strong>
    </>
  )
  return (
    <li class="status-count" data-status={status}>
      {href ? (
        <a {...swap(href)} title={title}>
          {inner}
        </a>
      ) : (
        inner
      )}
    </li>
  )
}

/** The segment's numbers, beside the page title. Each status count links to the segment narrowed
 *  to it: by best status, to those with that status in any product (`status=trial`); per
 *  project, to those with it there (`in=app-a:trial`). */
export function SegmentSummary({ summary, query }: { summary: Summary; query: URLSearchParams }) {
  const name = (slug: string) => summary.projects.find((p) => p.slug === slug)?.name ?? slug
  const { sum } = summary
  const subject = sum ? `${sum.project ? `${name(sum.project)} ` : ''}${sum.key}` : ''
  // One project's param (sum=app-a.mrr) is added up in that project alone, never across products.
  const everywhere = sum?.project ? 'over the whole segment' : 'across all their products'
  return (
    <div class="summary" aria-live="polite">
      <p class="summary-count">
        {summary.exact ? null : (
          <span title="An estimate from a sample: the segment is too large to count at once">
            about{' '}
          </span>
        )}
        <strong data-count={summary.count} data-testid="segment-count">
          {number.format(summary.count)}
        </strong>{' '}
        {summary.count === 1 ? 'customer' : 'customers'}
      </p>
      {summary.byProject.length === 0 ? (
        <ul class="summary-statuses" aria-label="By best status in any product">
          {STATUSES.map((s) => (
            <StatusCount
              status={s}
              n={summary.byStatus[s]}
              href={narrowed(query, 'status', s)}
              title={`Customers ${s} in any product`}
            />
          ))}
        </ul>
      ) : (
        summary.byProject.map((p) => (
          <ul class="summary-statuses" aria-label={`By status on ${name(p.slug)}`}>
            <li class="summary-project">{name(p.slug)}:</li>
            {STATUSES.map((s) => (
              <StatusCount
                status={s}
                n={p.byStatus[s]}
                href={narrowed(query, 'in', `${p.slug}:${s}`)}
                title={`Customers ${s} on ${name(p.slug)}`}
              />
            ))}
          </ul>
        ))
      )}
      {sum ? (
        <p class="summary-sum">
          Σ {subject}{' '}
          <strong data-testid="segment-sum">
            {number.format(sum.selective ? sum.matched : sum.all)}
          </strong>{' '}
          {sum.selective ? (
            <>
              <span class="muted">where the filter matched</span> ·{' '}
              <span data-testid="segment-sum-all">{number.format(sum.all)}</span>{' '}
              <span class="muted">{everywhere}</span>
            </>
          ) : (
            <span class="muted">{everywhere}</span>
          )}
        </p>
      ) : null}
    </div>
  )
}
