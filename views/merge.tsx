// Merge, undo and delete for one customer: a page of its own (/customers/:id/manage) that the
// customer page links to. Merging asks for the other customer's email and which email survives;
// deleting asks to type the email, as erasure cannot be undone. A refused form comes back (after
// the redirect of src/merges/routes.tsx) with its message under the field at fault, focused, and
// what was typed.
import { Layout } from './ui/layout.js'
import { CsrfField } from './ui/csrf.js'
import { Alert, Time, TypeToConfirm, invalidField as invalid, type Refused } from './ui/elements.js'

export interface MergeRecord {
  id: number
  absorbed_email: string
  created_at: Date
  undone_at: Date | null
}

export function ManageCustomerPage(props: {
  customer: { id: number; email: string; name: string | null }
  merges: MergeRecord[]
  userEmail: string
  csrfToken?: string
  /** Why an undo was refused (no field to point at: said at the top). */
  error?: string
  merge?: Refused
  delete?: Refused
}) {
  const { customer, csrfToken } = props
  const keepOther = props.merge?.draft.keep === 'other'
  const label = customer.name ?? customer.email
  return (
    <Layout
      title={`Manage ${customer.email}`}
      userEmail={props.userEmail}
      csrfToken={csrfToken}
      active="customers"
    >
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/customers">Customers</a> <span aria-hidden="true">/</span>{' '}
        <a href={`/customers/${customer.id}`}>{label}</a> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">Merge or delete</span>
      </nav>
      <header class="page-head">
        <div>
          <h1>Merge, undo or delete</h1>
          <p class="muted">{customer.email}</p>
        </div>
      </header>
      <Alert error={props.error} />

      <section class="card" aria-labelledby="merge-title">
        <h2 id="merge-title">Merge with another customer</h2>
        <p class="muted small">
          Same person, two emails. Per project the newest write wins for the status and each param,
          with the earliest first seen and latest activity. The other email becomes an alias:
          identify calls with it update the survivor.{' '}
          {props.merges.length
            ? 'You can undo a merge below.'
            : 'A merge can be undone: it is then listed on this page, with Undo.'}
        </p>
        <form method="post" action={`/customers/${customer.id}/merge`} class="stack">
          <CsrfField token={csrfToken} />
          <label class="field">
            <span>The other customer's email</span>
            <input
              type="email"
              name="other"
              id="merge-other"
              required
              maxLength={254}
              autocomplete="off"
              value={props.merge?.draft.other ?? ''}
              {...invalid(props.merge, 'merge-error')}
            />
          </label>
          <Alert error={props.merge?.message} id="merge-error" />
          <fieldset class="choice-group">
            <legend>Which email survives?</legend>
            <label class="choice">
              <input type="radio" name="keep" value="this" checked={!keepOther} />
              <span>
                {customer.email} <span class="muted">(this one)</span>
              </span>
            </label>
            <label class="choice">
              <input type="radio" name="keep" value="other" checked={keepOther} />
              <span>the other one</span>
            </label>
          </fieldset>
          <div class="button-row">
            <button type="submit" class="button">
              Merge
            </button>
          </div>
        </form>
      </section>

      {props.merges.length ? (
        <section class="card" aria-labelledby="history-title">
          <h2 id="history-title">Merges into this customer</h2>
          <ul class="merge-history">
            {props.merges.map((m) => (
              <li>
                <span>
                  <strong>{m.absorbed_email}</strong> merged <Time date={m.created_at} />
                </span>
                {m.undone_at ? (
                  <span class="status status-revoked">Undone</span>
                ) : (
                  <form method="post" action={`/merges/${m.id}/undo`}>
                    <CsrfField token={csrfToken} />
                    <button
                      type="submit"
                      class="button button-secondary button-small"
                      aria-label={`Undo the merge of ${m.absorbed_email}`}
                    >
                      Undo
                    </button>
                  </form>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section class="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete this customer (GDPR erasure)</h2>
        <p class="muted small">
          Removes the customer everywhere: projects, aliases, rows of unfinished imports, merges
          holding its data. The audit log keeps only that customer #{customer.id} was deleted. This
          cannot be undone.
        </p>
        <form method="post" action={`/customers/${customer.id}/delete`} class="stack">
          <CsrfField token={csrfToken} />
          <TypeToConfirm
            expected={customer.email}
            refused={props.delete}
            messageId="delete-error"
            id="delete-confirm"
          />
          <Alert error={props.delete?.message} id="delete-error" />
          <div class="button-row">
            <button type="submit" class="button button-danger">
              Delete for good
            </button>
          </div>
        </form>
      </section>
    </Layout>
  )
}
