// A customer's details beside the table, without leaving it or moving a row: the drawer (a fixed
// panel over the table's right side). Opened by a badge or by Enter on a row; its URL is the
// table's with `open=<id>` or `open=<id>.<slug>` (the project in focus), so reload and back work,
// and without JavaScript the table renders it from the row it already has.
import type { CustomerDetail } from '../../src/customers/customer.js'
import type { CustomerRow, ProjectInfo } from '../../src/customers/query.js'
import { CustomerGlance, ParamsTable, RelationFacts, type ProjectRelation } from './customer.js'
import { customerHref, customersUrl, shownQuery } from './urls.js'

/** A table row as the customer's details (the row carries every relation already). */
export function rowDetail(row: CustomerRow, projects: ProjectInfo[]): CustomerDetail {
  const byId = new Map(projects.map((p) => [p.id, p]))
  return {
    ...row,
    relations: row.relations.flatMap((r): ProjectRelation[] => {
      const project = byId.get(r.projectId)
      return project ? [{ ...r, project }] : []
    }),
  }
}

export function CustomerDrawer(props: {
  customer: CustomerDetail
  /** The table's query (the drawer's close link and the customer page's back link). */
  query: URLSearchParams
  focus?: string
  now?: Date
}) {
  const { customer, query, now } = props
  const close = customersUrl(shownQuery(query))
  return (
    <div
      class="drawer-panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby="drawer-title"
      tabindex={-1}
      data-customer-id={customer.id}
      data-focus={props.focus}
    >
      <div class="drawer-head">
        <h2 id="drawer-title">{customer.name ?? customer.email}</h2>
        <a class="drawer-close" href={close} data-close-drawer aria-label="Close details (Esc)">
          ✕
        </a>
      </div>
      <p class="muted small drawer-email">{customer.email}</p>
      <CustomerGlance customer={customer} />
      {customer.relations.map((r) => (
        <section
          class={`drawer-project${props.focus === r.project.slug ? ' is-focus' : ''}`}
          id={`drawer-${r.project.slug}`}
          aria-label={`${r.project.name} details`}
        >
          <h3>{r.project.name}</h3>
          <RelationFacts relation={r} now={now} />
          <ParamsTable params={r.params} />
        </section>
      ))}
      <p>
        <a class="button button-secondary button-small" href={customerHref(customer.id, query)}>
          Open the customer page →
        </a>
      </p>
    </div>
  )
}
