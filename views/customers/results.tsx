// The customers table's results: the segment's summary (count, status breakdown, sum), the table
// (a badge per project; a badge's details open in place) and the pager.
import type { CustomerPage, CustomerRow, Summary } from '../../src/customers/query.js'
import { DEFAULT_SORT, sortParam, type SortKey } from '../../src/customers/filter-syntax.js'
import { STATUSES } from '../../src/lib/status.js'
import { badgeStyle } from '../../src/projects/colors.js'
import { Time } from '../ui/elements.js'
import { BadgeDetail } from './customer.js'
import { firstDirection, isFilter } from './filters.js'
import type { CustomersViewProps } from './page.js'
import { customersUrl, swap } from './urls.js'

export function Results(props: CustomersViewProps & { data: CustomerPage & { summary: Summary } }) {
  const { data, query, projects } = props
  const { summary } = data
  const filtered = [...query.keys()].some((k) => isFilter(k) && k !== 'sum')
  // A new account: the first-run steps above say it all.
  if (projects.length === 0 && summary.count === 0) return null
  if (summary.count === 0 && !filtered) {
    return (
      <div class="empty-state">
        <h2>No customers yet</h2>
        <p>
          Send your first <code>identify</code> from a product's backend; the{' '}
          <a href="/projects">project page</a> has the snippet with its key filled in.
        </p>
      </div>
    )
  }
  return (
    <>
      <SummaryBar summary={summary} query={query} />
      {data.rows.length === 0 ? (
        <div class="empty-state">
          <h2>No customers match these filters</h2>
          <p>
            <a class="button" {...swap('/customers')}>
              Clear filters
            </a>
          </p>
        </div>
      ) : (
        <CustomersTable {...props} />
      )}
      <Pager query={query} next={data.next} />
    </>
  )
}

const money = new Intl.NumberFormat('en', { maximumFractionDigits: 2 })

function SummaryBar({ summary, query }: { summary: Summary; query: URLSearchParams }) {
  const project = summary.projects.find((p) => p.slug === summary.byProject[0]?.slug)
  return (
    <div class="summary" aria-live="polite">
      <p class="summary-count">
        <strong data-testid="segment-count">{summary.count.toLocaleString('en')}</strong>{' '}
        {summary.count === 1 ? 'customer' : 'customers'}
      </p>
      <ul
        class="summary-statuses"
        aria-label={project ? `Status in ${project.name}` : 'Best status in any project'}
      >
        {STATUSES.map((s) => (
          <li class={`status status-${s}`}>
            {s}{' '}
            <strong>
              {(summary.byProject[0]?.byStatus ?? summary.byStatus)[s].toLocaleString('en')}
            </strong>
          </li>
        ))}
        {project ? <li class="muted small">in {project.name}</li> : null}
      </ul>
      {summary.sum !== null ? (
        <p class="summary-sum">
          Σ {query.get('sum')}{' '}
          <strong data-testid="segment-sum">
            {money.format(summary.sum.selective ? summary.sum.matched : summary.sum.all)}
          </strong>
        </p>
      ) : null}
    </div>
  )
}

function paramsPreview(row: CustomerRow): string {
  const seen = new Map<string, string>()
  for (const r of row.relations) {
    for (const [k, v] of Object.entries(r.params)) {
      if (!seen.has(k)) seen.set(k, typeof v === 'string' ? v : JSON.stringify(v))
    }
  }
  return [...seen].map(([k, v]) => `${k}: ${v.length > 24 ? `${v.slice(0, 23)}…` : v}`).join(' · ')
}

function CustomersTable(props: CustomersViewProps & { data: CustomerPage & { summary: Summary } }) {
  const { data, projects, query, open } = props
  const now = props.now ?? new Date()
  const byId = new Map(projects.map((p) => [p.id, p]))
  return (
    <div class="table-wrap">
      <table class="customers-table">
        <caption class="visually-hidden">Customers matching the filters</caption>
        <thead>
          <tr>
            <SortHeader query={query} field="email" label="Email" />
            <SortHeader query={query} field="name" label="Name" />
            <th scope="col">Projects</th>
            <SortHeader query={query} field="last_activity" label="Last activity" />
            <th scope="col">Params</th>
          </tr>
        </thead>
        <tbody>
          {data.rows.map((row) => {
            const opened = open?.customerId === row.id ? open.slug : undefined
            const openRel = row.relations.find((r) => byId.get(r.projectId)?.slug === opened)
            return (
              <tr data-customer={row.email}>
                <td data-label="Email">
                  <a href={`/customers/${row.id}`} class="customer-email">
                    {row.email}
                  </a>
                </td>
                <td data-label="Name">{row.name ?? <span class="muted">—</span>}</td>
                <td data-label="Projects">
                  <div class="badges">
                    {row.relations.map((r) => {
                      const p = byId.get(r.projectId)
                      if (!p) return null
                      const href = customersUrl(query, { open: `${row.id}.${p.slug}` })
                      return (
                        <a
                          class="badge"
                          style={badgeStyle(p.color)}
                          href={href}
                          hx-get={`/customers/${row.id}/projects/${p.id}`}
                          hx-target={`#detail-${row.id}`}
                          hx-swap="innerHTML"
                          hx-push-url={href}
                          aria-expanded={opened === p.slug ? 'true' : 'false'}
                          title={`${p.name}: ${r.status} — show details`}
                        >
                          {p.name}: {r.status}
                        </a>
                      )
                    })}
                  </div>
                  <div id={`detail-${row.id}`} class="badge-detail-slot">
                    {openRel && byId.get(openRel.projectId) ? (
                      <BadgeDetail
                        customerId={row.id}
                        relation={{ ...openRel, project: byId.get(openRel.projectId)! }}
                        closeHref={customersUrl(query, { open: null })}
                      />
                    ) : null}
                  </div>
                </td>
                <td data-label="Last activity">
                  <Time date={row.lastActivityAt} now={now} />
                </td>
                <td data-label="Params" class="params-preview">
                  {paramsPreview(row)}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

/** A column header that sorts by its column; a second click reverses the order. */
function SortHeader(props: { query: URLSearchParams; field: SortKey; label: string }) {
  const current = props.query.get('sort') || sortParam(DEFAULT_SORT)
  const asc = current === props.field
  const desc = current === `-${props.field}`
  const first = sortParam({ key: props.field, dir: firstDirection(props.field) })
  const next = asc ? `-${props.field}` : desc ? props.field : first
  const href = customersUrl(props.query, { sort: next, after: null, open: null })
  return (
    <th scope="col" aria-sort={asc ? 'ascending' : desc ? 'descending' : undefined}>
      <a {...swap(href)} class="sort-link">
        {props.label}
        {asc ? ' ↑' : desc ? ' ↓' : ''}
      </a>
    </th>
  )
}

function Pager({ query, next }: { query: URLSearchParams; next?: string }) {
  const paged = query.has('after')
  if (!next && !paged) return null
  return (
    <nav class="pager" aria-label="Pages">
      {paged ? (
        <a {...swap(customersUrl(query, { after: null, open: null }))}>← First page</a>
      ) : (
        <span />
      )}
      {next ? (
        <a rel="next" {...swap(customersUrl(query, { after: next, open: null }))}>
          Next page →
        </a>
      ) : null}
    </nav>
  )
}
