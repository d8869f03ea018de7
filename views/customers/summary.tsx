// The segment's numbers beside the page title: the count, the status breakdown (by best status, or
// per project the filter names) and the sum of a param over the matched relations and over all
// their products, and per currency when the relations are in several.
import type { ComponentChild } from 'preact'
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

/** A sum's figures, each `figure(k)`: where the filter matched, then over all (selective), or over
 *  all alone. One project's param (sum=app-a.mrr) is added up in that project alone, never across
 *  products. */
function figures(
  sum: NonNullable<Summary['sum']>,
  figure: (k: 'all' | 'matched') => ComponentChild,
) {
  const everywhere = sum.project ? 'over the whole segment' : 'across all their products'
  return sum.selective ? (
    <>
      {figure('matched')} <span class="muted">where the filter matched</span> · {figure('all')}{' '}
      <span class="muted">{everywhere}</span>
    </>
  ) : (
    <>
      {figure('all')} <span class="muted">{everywhere}</span>
    </>
  )
}

/** The segment's numbers, beside the page title. Each status count links to the segment narrowed
 *  to it: by best status, to those with that status in any product (`status=trial`); per
 *  project, to those with it there (`in=app-a:trial`). */
export function SegmentSummary({ summary, query }: { summary: Summary; query: URLSearchParams }) {
  const name = (slug: string) => summary.projects.find((p) => p.slug === slug)?.name ?? slug
  const { sum } = summary
  const subject = sum ? `${sum.project ? `${name(sum.project)} ` : ''}${sum.key}` : ''
  const by = sum?.byCurrency
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
        <>
          <p class="summary-sum">
            Σ {subject}{' '}
            {figures(sum, (k) =>
              k === 'all' && sum.selective ? (
                <span data-testid="segment-sum-all">{number.format(sum.all)}</span>
              ) : (
                <strong data-testid="segment-sum">{number.format(sum[k])}</strong>
              ),
            )}
          </p>
          {by ? (
            <p class="summary-sum" data-testid="segment-sum-currencies">
              <span class="muted">The amounts are in different currencies:</span>{' '}
              {figures(sum, (k) =>
                by.map((c) => `${c.currency ?? 'no currency'} ${number.format(c[k])}`).join(', '),
              )}
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  )
}
