// One customer: every project side by side (status, params as a key/value table, first seen, last
// active) and the form that edits the name. BadgeDetail is the same facts for one project, opened
// in place from a badge in the customers table.
import type { CustomerDetail } from '../../src/customers/customer.js'
import type { ProjectInfo, Relation } from '../../src/customers/query.js'
import { ProjectBadge, Time } from '../ui/elements.js'
import { CsrfField } from '../ui/csrf.js'
import { Layout } from '../ui/layout.js'
import type { RelationChange } from '../../src/customers/history.js'
import { CustomerHistory } from './history.js'

type ProjectRelation = Relation & { project: ProjectInfo }

function showValue(v: unknown): string {
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

export function ParamsTable({ params }: { params: Record<string, unknown> }) {
  const entries = Object.entries(params).sort(([a], [b]) => a.localeCompare(b))
  if (entries.length === 0) return <p class="muted small">No params.</p>
  return (
    <table class="params-table">
      <tbody>
        {entries.map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td>
              <code>{showValue(v)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function RelationFacts({ relation, now }: { relation: ProjectRelation; now?: Date }) {
  return (
    <dl class="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <span class={`status status-${relation.status}`}>{relation.status}</span>
        </dd>
      </div>
      <div>
        <dt>First seen</dt>
        <dd>
          <Time date={relation.firstSeenAt} now={now} />
        </dd>
      </div>
      <div>
        <dt>Last active</dt>
        <dd>
          <Time date={relation.lastActivityAt} now={now} />
        </dd>
      </div>
    </dl>
  )
}

/** The details of one badge, swapped in under the badges of a table row. */
export function BadgeDetail(props: {
  customerId: number
  relation: ProjectRelation
  closeHref?: string
}) {
  const { relation } = props
  return (
    <div class="badge-detail" role="region" aria-label={`${relation.project.name} details`}>
      <div class="badge-detail-head">
        <ProjectBadge name={relation.project.name} color={relation.project.color} />
        <a href={`/customers/${props.customerId}#project-${relation.project.slug}`}>
          Customer page
        </a>
        {props.closeHref ? (
          <a
            href={props.closeHref}
            hx-get={props.closeHref}
            hx-target="#customers"
            hx-swap="outerHTML"
            hx-push-url="true"
            aria-label="Close details"
          >
            ✕
          </a>
        ) : null}
      </div>
      <RelationFacts relation={relation} />
      <ParamsTable params={relation.params} />
    </div>
  )
}

export function CustomerPage(props: {
  customer: CustomerDetail
  userEmail: string
  csrfToken?: string
  saved?: boolean
  now?: Date
  /** The relations' changes, newest first (views/customers/history.tsx). */
  history?: RelationChange[]
}) {
  const { customer, now } = props
  const title = customer.name ?? customer.email
  return (
    <Layout
      title={title}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
    >
      <div class="customer-page">
        <p class="crumbs">
          <a href="/customers">← Customers</a>
        </p>
        <header class="customer-head">
          <h1>{title}</h1>
          <p class="muted">
            {customer.email} · first seen <Time date={customer.createdAt} now={now} /> · last active{' '}
            <Time date={customer.lastActivityAt} now={now} />
          </p>
          <p>
            <a href={`/customers/${customer.id}/manage`}>Merge, undo a merge, or delete…</a>
          </p>
        </header>
        <form method="post" action={`/customers/${customer.id}/name`} class="inline-form card">
          <CsrfField token={props.csrfToken} />
          <label class="field grow">
            <span>Name</span>
            <input type="text" name="name" value={customer.name ?? ''} maxLength={200} />
          </label>
          <button type="submit" class="button">
            Save name
          </button>
          {props.saved ? (
            <span class="muted small" role="status">
              Saved.
            </span>
          ) : null}
        </form>
        {customer.relations.length === 0 ? (
          <p class="muted">This customer is in no project any more.</p>
        ) : (
          <div class="project-columns">
            {customer.relations.map((r) => (
              <section
                class="card project-card"
                id={`project-${r.project.slug}`}
                aria-labelledby={`h-${r.project.slug}`}
              >
                <h2 id={`h-${r.project.slug}`}>
                  <ProjectBadge name={r.project.name} color={r.project.color} />
                </h2>
                <RelationFacts relation={r} now={now} />
                <h3 class="small">Params</h3>
                <ParamsTable params={r.params} />
              </section>
            ))}
          </div>
        )}
        {props.history ? <CustomerHistory changes={props.history} /> : null}
      </div>
    </Layout>
  )
}
