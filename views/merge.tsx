// Merge, undo and delete for one customer: a page of its own (/customers/:id/manage) that the
// customer page links to. Merging asks for the other customer's email and which email survives;
// deleting asks to type the email, as erasure cannot be undone.
import { Layout } from './ui/layout.js'
import { CsrfField } from './ui/csrf.js'

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
  notice?: string
  error?: string
}) {
  const { customer, csrfToken } = props
  return (
    <Layout
      title={`Manage ${customer.email}`}
      userEmail={props.userEmail}
      csrfToken={csrfToken}
      active="customers"
    >
      <div class="stack">
        <p class="crumbs">
          <a href={`/customers/${customer.id}`}>← {customer.name ?? customer.email}</a>
        </p>
        <h1>Merge, undo or delete</h1>
        {props.notice ? (
          <p class="notice" role="status">
            {props.notice}
          </p>
        ) : null}
        {props.error ? (
          <p class="notice notice-error" role="alert">
            {props.error}
          </p>
        ) : null}

        <form method="post" action={`/customers/${customer.id}/merge`} class="card stack">
          <CsrfField token={csrfToken} />
          <h2>Merge with another customer</h2>
          <p class="muted small">
            Same person, two emails. Per project the records combine (latest status, params of the
            surviving email win, earliest first seen, latest activity). The other email becomes an
            alias: later identify calls with it update the survivor. You can undo a merge below.
          </p>
          <label class="field">
            <span>The other customer's email</span>
            <input type="email" name="other" required maxLength={254} />
          </label>
          <fieldset class="field">
            <legend>Which email survives?</legend>
            <label>
              <input type="radio" name="keep" value="this" checked /> {customer.email} (this one)
            </label>
            <label>
              <input type="radio" name="keep" value="other" /> the other one
            </label>
          </fieldset>
          <div class="button-row">
            <button type="submit" class="button">
              Merge
            </button>
          </div>
        </form>

        {props.merges.length ? (
          <section class="card stack">
            <h2>Merges into this customer</h2>
            <ul class="stack">
              {props.merges.map((m) => (
                <li>
                  {m.absorbed_email} merged{' '}
                  {m.created_at.toISOString().slice(0, 16).replace('T', ' ')} UTC
                  {m.undone_at ? (
                    <span class="muted"> · undone</span>
                  ) : (
                    <form method="post" action={`/merges/${m.id}/undo`} class="inline-form">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="button button-secondary button-small">
                        Undo
                      </button>
                    </form>
                  )}
                </li>
              ))}
            </ul>
          </section>
        ) : null}

        <form
          method="post"
          action={`/customers/${customer.id}/delete`}
          class="card stack danger-zone"
        >
          <CsrfField token={csrfToken} />
          <h2>Delete this customer (GDPR erasure)</h2>
          <p class="muted small">
            Removes the customer from every project, its aliases, its rows in unfinished CSV imports
            and the merge records holding its data. The audit log keeps only that customer #
            {customer.id} was deleted. This cannot be undone.
          </p>
          <label class="field">
            <span>Type {customer.email} to confirm</span>
            <input type="text" name="confirm" required autocomplete="off" />
          </label>
          <div class="button-row">
            <button type="submit" class="button button-danger">
              Delete for good
            </button>
          </div>
        </form>
      </div>
    </Layout>
  )
}
