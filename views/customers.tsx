// The customers table page and its htmx fragment (#customers: the filter form, the segment's
// summary, the table and the pager). Everything is a plain link or a GET form; htmx swaps the
// fragment in place and pushes the same URL, so back, reload and a pasted URL show the same view.
import type { ComponentChildren } from 'preact'
import type { CustomerPage, CustomerRow, ProjectInfo, Summary } from '../src/customers/query.js'
import { STATUSES } from '../src/lib/status.js'
import { badgeStyle } from '../src/projects/colors.js'
import { exactTime, relativeTime } from './ui/format.js'
import { Layout } from './layout.js'
import { BadgeDetail } from './customer.js'

export interface CustomersViewProps {
  /** The request's query, as typed: the form shows it back even when it does not parse. */
  query: URLSearchParams
  projects: ProjectInfo[]
  /** Set when the filter is wrong: shown instead of the table. */
  error?: string
  data?: CustomerPage & { summary: Summary }
  /** The badge opened with `open=<customerId>.<slug>` (its details render in place). */
  open?: { customerId: number; slug: string }
  now?: Date
}

const SECTION_ID = 'customers'
/** The htmx attributes of everything that changes the view: swap #customers, push the URL. */
const swap = (href: string) => ({
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
function without(query: URLSearchParams, key: string, value: string) {
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
function exportHref(query: URLSearchParams): string {
  const q = new URLSearchParams(query)
  for (const k of ['open', 'after', 'limit']) q.delete(k)
  return `/customers/export.csv${q.size ? `?${q}` : ''}`
}

export function CustomersPage(
  props: CustomersViewProps & { userEmail: string; csrfToken?: string },
) {
  return (
    <Layout
      title="Customers"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
    >
      <CustomersSection {...props} />
    </Layout>
  )
}

export function CustomersSection(props: CustomersViewProps) {
  const { query, projects, data, error } = props
  return (
    <section id={SECTION_ID} class="customers" aria-labelledby="customers-title">
      <div class="customers-head">
        <h1 id="customers-title">Customers</h1>
        <p class="button-row">
          <a class="button button-secondary" href={exportHref(query)} download>
            Export CSV
          </a>
          <a class="button button-secondary" href="/imports/new">
            Import CSV
          </a>
        </p>
      </div>
      {projects.length === 0 ? <FirstRun /> : <FilterForm query={query} projects={projects} />}
      <ActiveFilters query={query} />
      {error ? (
        <div class="notice notice-error" role="alert">
          <p>
            <strong>This filter cannot be read.</strong> {error}
          </p>
          <p>
            <a {...swap('/customers')}>Clear all filters</a> · the syntax is in the README,
            "Filtering customers".
          </p>
        </div>
      ) : data ? (
        <Results {...props} data={data} />
      ) : null}
    </section>
  )
}

function FirstRun() {
  return (
    <div class="empty-state">
      <h2>Welcome! Two steps to your first customer</h2>
      <ol>
        <li>
          <a href="/projects">Create a project</a> for each of your products: each one gets an API
          key.
        </li>
        <li>
          Call <code>identify</code> from that product's backend when someone signs up; the project
          page has the snippet with your key filled in.
        </li>
      </ol>
      <p class="muted">Customers appear here, one row per email, with a badge per product.</p>
    </div>
  )
}

function Field(props: { label: string; for: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label for={props.for}>{props.label}</label>
      {props.children}
      {props.hint ? <small class="muted">{props.hint}</small> : null}
    </div>
  )
}

function ProjectSelect(props: {
  name: string
  id: string
  value: string
  projects: ProjectInfo[]
  withStatuses: boolean
  label: string
}) {
  const { projects, value } = props
  return (
    <select name={props.name} id={props.id} aria-label={props.label}>
      <option value="">—</option>
      {projects.map((p) =>
        props.withStatuses ? (
          <optgroup label={p.name} key={p.slug}>
            <option value={p.slug} selected={value === p.slug}>
              {p.name}: any status
            </option>
            {STATUSES.map((s) => (
              <option value={`${p.slug}:${s}`} selected={value === `${p.slug}:${s}`}>
                {p.name}: {s}
              </option>
            ))}
          </optgroup>
        ) : (
          <option value={p.slug} selected={value === p.slug}>
            {p.name}
          </option>
        ),
      )}
      {value && !projects.some((p) => value === p.slug || value.startsWith(`${p.slug}:`)) ? (
        <option value={value} selected>
          {value}
        </option>
      ) : null}
    </select>
  )
}

/** One control per value a repeatable filter has, plus an empty one to add another. */
function repeated(query: URLSearchParams, name: string): string[] {
  return [...query.getAll(name).filter((v) => v.trim() !== ''), '']
}

function FilterForm({ query, projects }: { query: URLSearchParams; projects: ProjectInfo[] }) {
  const v = (name: string) => query.get(name) ?? ''
  const sort = v('sort') || '-last_activity'
  return (
    <form
      class="filters"
      method="get"
      action="/customers"
      role="search"
      hx-get="/customers"
      hx-target={`#${SECTION_ID}`}
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <div class="filters-main">
        <Field label="Search email or name" for="f-q">
          <input id="f-q" type="search" name="q" value={v('q')} placeholder="alex, @acme.com…" />
        </Field>
        {repeated(query, 'in').map((val, i) => (
          <Field label={i === 0 ? 'Uses project' : 'and also uses'} for={`f-in-${i}`}>
            <ProjectSelect
              name="in"
              id={`f-in-${i}`}
              value={val}
              projects={projects}
              withStatuses
              label="Uses project"
            />
          </Field>
        ))}
        {repeated(query, 'not_in').map((val, i) => (
          <Field label={i === 0 ? 'Not in project' : 'and not in'} for={`f-not-in-${i}`}>
            <ProjectSelect
              name="not_in"
              id={`f-not-in-${i}`}
              value={val}
              projects={projects}
              withStatuses={false}
              label="Not in project"
            />
          </Field>
        ))}
        <Field label="Status anywhere" for="f-status">
          <select id="f-status" name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s} selected={v('status') === s}>
                {s}
              </option>
            ))}
            {v('status') && !(STATUSES as readonly string[]).includes(v('status')) ? (
              <option value={v('status')} selected>
                {v('status')}
              </option>
            ) : null}
          </select>
        </Field>
      </div>
      <details class="filters-more" open={hasAdvanced(query)}>
        <summary>More filters</summary>
        <div class="filters-grid">
          <Field label="In at least N projects" for="f-min">
            <input
              type="text"
              id="f-min"
              name="min_projects"
              inputmode="numeric"
              value={v('min_projects')}
              placeholder="2"
            />
          </Field>
          <Field label="Inactive for days" for="f-inactive" hint="30, or 30@app-a">
            <input
              type="text"
              id="f-inactive"
              name="inactive"
              value={v('inactive')}
              placeholder="30"
            />
          </Field>
          <Field label="Active within days" for="f-active" hint="7, or 7@app-a">
            <input type="text" id="f-active" name="active" value={v('active')} placeholder="7" />
          </Field>
          <Field label="First seen before" for="f-seen-before" hint="2026-01-01 or 14d">
            <input type="text" id="f-seen-before" name="seen_before" value={v('seen_before')} />
          </Field>
          <Field label="First seen after" for="f-seen-after" hint="2026-01-01 or 14d">
            <input type="text" id="f-seen-after" name="seen_after" value={v('seen_after')} />
          </Field>
          <Field label="No project with status" for="f-not-status">
            <input
              type="text"
              id="f-not-status"
              name="not_status"
              value={v('not_status')}
              placeholder="paid,trial"
            />
          </Field>
          {repeated(query, 'p').map((val, i) => (
            <Field
              label={i === 0 ? 'Param' : 'and param'}
              for={`f-p-${i}`}
              hint="plan:eq:pro · app-a.mrr:gte:10 · beta:exists"
            >
              <input type="text" id={`f-p-${i}`} name="p" value={val} placeholder="key:op:value" />
            </Field>
          ))}
          <Field label="Sum of param" for="f-sum" hint="mrr, or app-a.mrr">
            <input type="text" id="f-sum" name="sum" value={v('sum')} placeholder="mrr" />
          </Field>
        </div>
      </details>
      {v('limit') ? <input type="hidden" name="limit" value={v('limit')} /> : null}
      <div class="filters-actions">
        <Field label="Sort by" for="f-sort">
          <select id="f-sort" name="sort">
            {SORTS.map(([value, label]) => (
              <option value={value} selected={sort === value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="button">
          Apply
        </button>
        <a class="button button-secondary" {...swap('/customers')}>
          Clear
        </a>
      </div>
    </form>
  )
}

const SORTS: [string, string][] = [
  ['-last_activity', 'Last activity, newest first'],
  ['last_activity', 'Last activity, oldest first'],
  ['-first_seen', 'First seen, newest first'],
  ['first_seen', 'First seen, oldest first'],
  ['email', 'Email, A→Z'],
  ['-email', 'Email, Z→A'],
  ['name', 'Name, A→Z'],
  ['-name', 'Name, Z→A'],
]

const ADVANCED = [
  'min_projects',
  'inactive',
  'active',
  'seen_before',
  'seen_after',
  'not_status',
  'p',
  'sum',
]
const hasAdvanced = (q: URLSearchParams) => ADVANCED.some((k) => (q.get(k) ?? '') !== '')

const FILTER_LABELS: Record<string, string> = {
  q: 'search',
  in: 'uses',
  not_in: 'not in',
  status: 'status',
  not_status: 'no status',
  min_projects: 'projects ≥',
  inactive: 'inactive days',
  active: 'active days',
  seen_before: 'first seen before',
  seen_after: 'first seen after',
  p: 'param',
  sum: 'sum of',
}

/** The filters in force as chips, each with a link that drops it. */
function ActiveFilters({ query }: { query: URLSearchParams }) {
  const chips = [...query.entries()].filter(([k, v]) => v.trim() !== '' && k in FILTER_LABELS)
  if (chips.length === 0) return null
  return (
    <ul class="chips" aria-label="Filters in use">
      {chips.map(([k, v]) => (
        <li class="chip">
          <span>
            {FILTER_LABELS[k]} <strong>{v}</strong>
          </span>
          <a {...swap(without(query, k, v))} aria-label={`Remove filter ${FILTER_LABELS[k]} ${v}`}>
            ✕
          </a>
        </li>
      ))}
    </ul>
  )
}

function Results(props: CustomersViewProps & { data: CustomerPage & { summary: Summary } }) {
  const { data, query, projects } = props
  const { summary } = data
  const filtered = [...query.keys()].some((k) => k in FILTER_LABELS && k !== 'sum')
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
  const project = summary.projects.find((p) => p.slug === summary.breakdownProject)
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
            {s} <strong>{summary.byStatus[s].toLocaleString('en')}</strong>
          </li>
        ))}
        {project ? <li class="muted small">in {project.name}</li> : null}
      </ul>
      {summary.sum !== null ? (
        <p class="summary-sum">
          Σ {query.get('sum')}{' '}
          <strong data-testid="segment-sum">{money.format(summary.sum)}</strong>
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
            <SortHeader query={query} field="last_activity" label="Last activity" newestFirst />
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
                  <time
                    datetime={row.lastActivityAt.toISOString()}
                    title={exactTime(row.lastActivityAt)}
                  >
                    {relativeTime(row.lastActivityAt, now)}
                  </time>
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
function SortHeader(props: {
  query: URLSearchParams
  field: string
  label: string
  /** Dates start newest first, text A→Z. */
  newestFirst?: boolean
}) {
  const current = props.query.get('sort') || '-last_activity'
  const asc = current === props.field
  const desc = current === `-${props.field}`
  const first = props.newestFirst ? `-${props.field}` : props.field
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
