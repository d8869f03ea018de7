// The customers table's results: the table (a badge per project whose fill says the status, a
// column per param the filter uses, params per project), then the pager (./pager.tsx); the
// segment's numbers are ./summary.tsx. Badges open the customer's details in the drawer.
import type {
  CustomerPage,
  CustomerRow,
  ProjectInfo,
  Relation,
  Summary,
} from '../../src/customers/query.js'
import { chipsFromQuery } from '../../src/customers/filter-chips.js'
import {
  DEFAULT_SORT,
  queryString,
  sortParam,
  type SortKey,
} from '../../src/customers/filter-syntax.js'
import { DateAndAge } from '../ui/elements.js'
import { firstDirection } from './filters.js'
import type { CustomersViewProps } from './page.js'
import { Pager } from './pager.js'
import { customerHref, customersUrl, shownQuery, swap, tableQuery } from './urls.js'

type Data = CustomerPage & { summary: Summary }

export function Results(props: CustomersViewProps & { data: Data }) {
  const { data, query, projects } = props
  const { summary } = data
  const filtered = chipsFromQuery(query).some((c) => c.kind !== 'sum') || !!query.get('q')
  if (summary.count === 0) {
    return filtered ? (
      <div class="customers-empty">
        <h2>No customers match these filters</h2>
        <p>Remove a filter above, or start again from everyone.</p>
        <p>
          <a class="button" {...swap('/customers')}>
            Clear all filters
          </a>
        </p>
      </div>
    ) : projects.length === 0 ? null : (
      <div class="customers-empty">
        <h2>No customers yet</h2>
        <p>
          Send your first <code>identify</code> from a product's backend; the{' '}
          <a href="/projects">project page</a> has the snippet with your key filled in. Or{' '}
          <a href="/imports/new">import a CSV</a>.
        </p>
      </div>
    )
  }
  return (
    <>
      {data.rows.length === 0 ? (
        <div class="customers-empty">
          <h2>Nothing on this page</h2>
          <p>
            <a {...swap(customersUrl(tableQuery(query)))}>Back to the first page</a>
          </p>
        </div>
      ) : (
        <CustomersTable {...props} />
      )}
      <Pager query={query} data={data} />
    </>
  )
}

/** The params the filter is about (its p= and sum= keys), each a column: per project, labelled. */
function paramColumns(query: URLSearchParams) {
  const seen = new Map<string, { project: string | null; key: string }>()
  for (const chip of chipsFromQuery(query)) {
    if (chip.kind === 'param' || chip.kind === 'sum') {
      seen.set(`${chip.project ?? '*'}.${chip.key}`, { project: chip.project, key: chip.key })
    }
  }
  return [...seen.values()].slice(0, 3)
}

function showParam(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 39)}…` : s
}

function CustomersTable(props: CustomersViewProps & { data: Data }) {
  const { data, projects, query } = props
  const now = props.now ?? new Date()
  const byId = new Map(projects.map((p) => [p.id, p]))
  const columns = paramColumns(query)
  const name = (slug: string) => projects.find((p) => p.slug === slug)?.name ?? slug
  return (
    <div class="table-wrap">
      <table class="customers-table">
        <caption class="visually-hidden">Customers matching the filters</caption>
        <thead>
          <tr>
            <SortHeader query={query} field="email" label="Email" class="col-email" />
            <SortHeader query={query} field="name" label="Name" class="col-name" />
            <th scope="col" class="col-products">
              Products
            </th>
            <SortHeader
              query={query}
              field="last_activity"
              label="Last active"
              class="col-active"
            />
            {columns.map((c) => (
              <th scope="col" class="col-param">
                {c.key}
                {c.project ? <span class="muted"> ({name(c.project)})</span> : null}
              </th>
            ))}
            <th scope="col" class="col-params">
              Params
            </th>
          </tr>
        </thead>
        <tbody>
          {data.rows.map((row) => {
            const relations = row.relations.flatMap((r) => {
              const project = byId.get(r.projectId)
              return project ? [{ ...r, project }] : []
            })
            return (
              <tr id={`row-${row.id}`} data-customer-id={row.id} data-customer={row.email}>
                <td class="col-email">
                  <a href={customerHref(row.id, query)} class="customer-link">
                    {row.email}
                  </a>
                  {row.matchedEmail ? (
                    <span class="matched-email muted small">
                      found by {row.matchedEmail}, merged into it
                    </span>
                  ) : null}
                </td>
                <td class="col-name">{row.name ?? <span class="muted">—</span>}</td>
                <td class="col-products">
                  <div class="badges">
                    {relations.map((r) => (
                      <StatusBadge row={row} relation={r} query={query} />
                    ))}
                  </div>
                </td>
                <td class="col-active">
                  <DateAndAge date={row.lastActivityAt} now={now} />
                </td>
                {columns.map((c) => (
                  <td
                    class="col-param"
                    data-label={c.project ? `${c.key} (${name(c.project)})` : c.key}
                  >
                    <ParamValues relations={relations} column={c} />
                  </td>
                ))}
                <td class="col-params">
                  <ParamsPreview relations={relations} />
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

type ProjectRelation = Relation & { project: ProjectInfo }

/** A project's badge on a row: its colour as a dot, its name, and the status as the badge's
 *  fill (paid solid, trial dashed, free outlined, churned struck through), so the status reads in
 *  greyscale too. Opens the customer's details in the drawer. */
function StatusBadge(props: {
  row: CustomerRow
  relation: ProjectRelation
  query: URLSearchParams
}) {
  const { row, relation, query } = props
  const { project, status } = relation
  const href = customersUrl(shownQuery(query), { open: `${row.id}.${project.slug}` })
  const back = queryString(shownQuery(query))
  return (
    <a
      class={`badge status-${status}`}
      data-project={project.slug}
      data-status={status}
      style={`--project:${project.color}`}
      href={href}
      hx-get={`/customers/${row.id}/panel?project=${project.slug}${back ? `&back=${encodeURIComponent(back)}` : ''}`}
      hx-target="#drawer"
      hx-swap="innerHTML"
      hx-push-url={href}
    >
      {/* The accessible name is the visible text ("App A paid — details"): a label that differed
          from what a speech-input user sees could not be spoken as a command. */}
      <span class="dot" aria-hidden="true" />
      {project.name}
      <span class="badge-status">{status}</span>
      <span class="visually-hidden"> — details</span>
    </a>
  )
}

/** A value's project as its dot (its badge's colour), named for screen readers only. */
function ProjectDot({ project }: { project: ProjectInfo }) {
  return (
    <>
      <span class="dot" style={`--project:${project.color}`} aria-hidden="true" />
      <span class="visually-hidden">{project.name}: </span>
    </>
  )
}

/** One param in each project that has it, the project named (values never merged unlabelled). */
function ParamValues(props: {
  relations: ProjectRelation[]
  column: { project: string | null; key: string }
}) {
  const { column } = props
  const cells = props.relations.filter(
    (r) =>
      (!column.project || r.project.slug === column.project) && Object.hasOwn(r.params, column.key),
  )
  // Without a project of its own, each value is led by its project's dot (the colour of its badge;
  // the name for screen readers and on hover): a name in front left a narrow column room for
  // "FormBox…" and no value.
  return (
    <>
      {cells.map((r) => {
        const value = showParam(r.params[column.key])
        return (
          <span class="param-value" title={column.project ? value : `${r.project.name}: ${value}`}>
            {column.project ? null : <ProjectDot project={r.project} />}
            {value}
          </span>
        )
      })}
    </>
  )
}

/** Every project's params on one line, each group led by its project's dot (its name for screen
 *  readers, and all of them in the title). */
function ParamsPreview({ relations }: { relations: ProjectRelation[] }) {
  const groups = relations.filter((r) => Object.keys(r.params).length > 0)
  const text = (r: ProjectRelation) =>
    Object.entries(r.params)
      .map(([k, v]) => `${k}: ${showParam(v)}`)
      .join(', ')
  return (
    <span
      class="params-preview"
      title={groups.map((r) => `${r.project.name} — ${text(r)}`).join('\n')}
    >
      {groups.map((r) => (
        <span class="params-group">
          <ProjectDot project={r.project} />
          {text(r)}
        </span>
      ))}
    </span>
  )
}

/** A column header that sorts by its column; a second click reverses the order. */
function SortHeader(props: {
  query: URLSearchParams
  field: SortKey
  label: string
  class: string
}) {
  const current = props.query.get('sort') || sortParam(DEFAULT_SORT)
  const asc = current === props.field
  const desc = current === `-${props.field}`
  const first = sortParam({ key: props.field, dir: firstDirection(props.field) })
  const next = asc ? `-${props.field}` : desc ? props.field : first
  const href = customersUrl(tableQuery(props.query), { sort: next })
  return (
    <th
      scope="col"
      class={props.class}
      aria-sort={asc ? 'ascending' : desc ? 'descending' : undefined}
    >
      <a {...swap(href)} class="sort-link">
        {props.label}
        {asc ? ' ↑' : desc ? ' ↓' : ''}
      </a>
    </th>
  )
}
