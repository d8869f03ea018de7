// Account tokens (Settings → API tokens): create one for a script (shown once), see when each was
// last used, revoke. Tokens read the whole account through /v1/customers and friends.
import { Layout } from './ui/layout.js'
import { CsrfField } from './ui/csrf.js'

export interface TokenRow {
  id: number
  name: string
  prefix: string
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '—')

export function TokensPage(props: {
  tokens: TokenRow[]
  userEmail: string
  csrfToken?: string
  /** The token just created, shown this once. */
  created?: { name: string; token: string }
  error?: string
}) {
  return (
    <Layout title="API tokens" userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <div class="stack">
        <h1>API tokens</h1>
        <p class="muted">
          An account token lets a script read every customer of this account, export CSV, merge and
          delete, through <code>/v1/customers</code>. Project keys (<code>tcrm_proj_…</code>) can
          only write. Keep account tokens secret: never put one in a browser.
        </p>
        {props.error ? (
          <p class="notice notice-error" role="alert">
            {props.error}
          </p>
        ) : null}
        {props.created ? (
          <div class="card stack key-reveal" role="status">
            <h2>Token “{props.created.name}” created</h2>
            <p>Copy it now: it is stored hashed and will not be shown again.</p>
            <pre class="code-block" data-testid="new-token">
              {props.created.token}
            </pre>
            <pre class="code-block small">{`curl -H "Authorization: Bearer ${props.created.token}" \\\n  "$TINYCRM_URL/v1/customers?status=paid"`}</pre>
          </div>
        ) : null}
        <form method="post" action="/settings/tokens" class="card inline-form">
          <CsrfField token={props.csrfToken} />
          <label class="field grow">
            <span>Name (what uses it)</span>
            <input
              type="text"
              name="name"
              required
              maxLength={80}
              placeholder="weekly export script"
            />
          </label>
          <button type="submit" class="button">
            Create token
          </button>
        </form>
        {props.tokens.length ? (
          <div class="table-wrap">
            <table class="table keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col"></th>
                </tr>
              </thead>
              <tbody>
                {props.tokens.map((t) => (
                  <tr>
                    <td>{t.name}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>{day(t.created_at)}</td>
                    <td>{day(t.last_used_at)}</td>
                    <td>
                      {t.revoked_at ? (
                        <span class="status status-revoked">revoked {day(t.revoked_at)}</span>
                      ) : (
                        <form method="post" action={`/settings/tokens/${t.id}/revoke`}>
                          <CsrfField token={props.csrfToken} />
                          <button type="submit" class="button button-danger button-small">
                            Revoke
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">No tokens yet.</p>
        )}
      </div>
    </Layout>
  )
}
