// One customer: a header first (each product's status pill, the total MRR, exact dates beside
// relative ones, the name edited in place), then every project side by side (status, params as a
// key/value table, first seen, last active). The same facts open in the customers table's drawer
// (./drawer.tsx), and the back link returns to the table the customer was opened from.
import type { CustomerDetail } from '../../src/customers/customer.js'
import type { ProjectInfo, Relation } from '../../src/customers/query.js'
import { Alert, DateAndAge, invalidField, type Refused } from '../ui/elements.js'
import { CsrfField } from '../ui/csrf.js'
import { Layout } from '../ui/layout.js'
import type { RelationChange } from '../../src/customers/history.js'
import { CustomerHistory } from './history.js'
import { CustomersAssets } from './page.js'

export type ProjectRelation = Relation & { project: ProjectInfo }

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

/** A project's status as a pill: the badge's own encoding (fill, outline, strike-through). */
export function StatusPill({ relation }: { relation: ProjectRelation }) {
  return (
    <span
      class={`badge status-${relation.status}`}
      data-project={relation.project.slug}
      data-status={relation.status}
      style={`--project:${relation.project.color}`}
    >
      <span class="dot" aria-hidden="true" />
      <span class="badge-name">{relation.project.name}</span>
      <span class="badge-status">{relation.status}</span>
    </span>
  )
}

/** The `mrr` param (any case) added up over the customer's projects, when one has it as a number. */
export function totalMrr(relations: ProjectRelation[]): { total: number; parts: string[] } | null {
  let total = 0
  const parts: string[] = []
  for (const r of relations) {
    const entry = Object.entries(r.params).find(
      ([k, v]) => k.toLowerCase() === 'mrr' && typeof v === 'number',
    )
    if (entry) {
      total += entry[1] as number
      parts.push(`${r.project.name} ${money.format(entry[1] as number)}`)
    }
  }
  return parts.length ? { total, parts } : null
}

const money = new Intl.NumberFormat('en', { maximumFractionDigits: 2 })

export function RelationFacts({ relation, now }: { relation: ProjectRelation; now?: Date }) {
  return (
    <dl class="facts">
      <div>
        <dt>Status</dt>
        <dd>{relation.status}</dd>
      </div>
      <div>
        <dt>First seen</dt>
        <dd>
          <DateAndAge date={relation.firstSeenAt} now={now} />
        </dd>
      </div>
      <div>
        <dt>Last active</dt>
        <dd>
          <DateAndAge date={relation.lastActivityAt} now={now} />
        </dd>
      </div>
    </dl>
  )
}

/** The status pills and the MRR: what a founder reads first. */
export function CustomerGlance({ customer }: { customer: CustomerDetail }) {
  const mrr = totalMrr(customer.relations)
  return (
    <div class="customer-glance">
      <div class="badges">
        {customer.relations.map((r) => (
          <StatusPill relation={r} />
        ))}
      </div>
      {mrr ? (
        <p class="customer-mrr">
          MRR <strong data-testid="customer-mrr">{money.format(mrr.total)}</strong>
          {mrr.parts.length > 1 ? <span class="muted"> ({mrr.parts.join(' + ')})</span> : null}
        </p>
      ) : null}
    </div>
  )
}

/** The customer page's header; also the htmx answer to a rename. */
export function CustomerHeader(props: {
  customer: CustomerDetail
  /** The table's query the page was opened from (kept through a rename). */
  back?: string
  csrfToken?: string
  saved?: boolean
  now?: Date
  /** A rename refused: the form open at the name typed, saying why under it. */
  refused?: Refused
}) {
  const { customer, now, refused } = props
  const title = customer.name ?? customer.email
  const action = `/customers/${customer.id}/name${props.back ? `?back=${encodeURIComponent(props.back)}` : ''}`
  return (
    <header id="customer-header" class="customer-head">
      <div class="customer-title">
        <h1>{title}</h1>
        <details class="rename" open={Boolean(refused)}>
          <summary class="button-chip">
            <span aria-hidden="true">✎ </span>Rename
          </summary>
          <form
            method="post"
            action={action}
            class="rename-form"
            hx-post={action}
            hx-target="#customer-header"
            hx-swap="outerHTML"
          >
            <CsrfField token={props.csrfToken} />
            <label class="visually-hidden" for="customer-name">
              Name
            </label>
            <input
              id="customer-name"
              type="text"
              name="name"
              value={refused ? refused.draft.name : (customer.name ?? '')}
              maxLength={200}
              placeholder="A name for this customer"
              {...invalidField(refused, 'customer-name-error')}
            />
            <button type="submit" class="button button-small">
              Save name
            </button>
            <Alert error={refused?.message} id="customer-name-error" />
          </form>
        </details>
        {props.saved ? (
          <span class="muted small" role="status">
            Saved.
          </span>
        ) : null}
      </div>
      <p class="muted customer-dates">
        {customer.email} · first seen <DateAndAge date={customer.createdAt} now={now} /> · last
        active <DateAndAge date={customer.lastActivityAt} now={now} />
      </p>
      <CustomerGlance customer={customer} />
    </header>
  )
}

export function CustomerPage(props: {
  customer: CustomerDetail
  backHref: string
  back?: string
  userEmail: string
  csrfToken?: string
  saved?: boolean
  now?: Date
  /** The relations' changes, newest first (views/customers/history.tsx). */
  history?: RelationChange[]
  /** A rename refused (the redirect's flash): why, and the name typed. */
  renameRefused?: Refused
}) {
  const { customer, now } = props
  return (
    <Layout
      title={customer.name ?? customer.email}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
      head={<CustomersAssets />}
    >
      <div class="customer-page">
        <p class="crumbs">
          <a href={props.backHref} class="back-link">
            ← Customers
          </a>
        </p>
        <CustomerHeader
          customer={customer}
          back={props.back}
          csrfToken={props.csrfToken}
          saved={props.saved}
          now={now}
          refused={props.renameRefused}
        />
        <p class="small">
          <a href={`/customers/${customer.id}/manage`}>Merge, undo a merge, or delete…</a>
        </p>
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
                  <StatusPill relation={r} />
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
