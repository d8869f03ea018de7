// Account tokens (Settings → API tokens): create one for a script (shown once, with a copy
// button), see who made each and when it was last used, revoke (asks first). Tokens read the
// whole account through /v1/customers and friends.
import { ConfirmAction } from './ui/confirm.js'
import { CsrfField } from './ui/csrf.js'
import { Alert, Time, invalidField, type Refused } from './ui/elements.js'
import { Layout } from './ui/layout.js'
import { CopyButton } from './projects/install.js'

export interface TokenRow {
  id: number
  name: string
  prefix: string
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
  /** Who made it in the dashboard; null for the CLI's and older tokens. */
  created_by_email: string | null
}

export function TokensPage(props: {
  tokens: TokenRow[]
  userEmail: string
  csrfToken?: string
  /** The token just created, shown this once (the flash of the redirect). */
  newToken?: string
  /** A refused create: why, and the name typed. */
  refused?: Refused
}) {
  const { csrfToken } = props
  return (
    <Layout title="API tokens" userEmail={props.userEmail} csrfToken={csrfToken} active="settings">
      <header class="page-head">
        <div>
          <h1>API tokens</h1>
          <p class="muted">
            An account token lets a script read, export (CSV), merge and delete every customer of
            this account through <code>/v1/customers</code>; project keys (<code>tcrm_proj_…</code>)
            only write. Keep it secret: never in a browser.
          </p>
        </div>
      </header>
      {props.newToken ? (
        <section class="card key-reveal" aria-labelledby="new-token-title">
          <h2 id="new-token-title">Your new token</h2>
          <p>Copy it now: it is stored hashed and will not be shown again.</p>
          <div class="copy-row">
            <code id="new-token" class="key-value" data-testid="new-token">
              {props.newToken}
            </code>
            <CopyButton target="new-token" />
          </div>
          <figure class="code-block">
            <figcaption>
              <span>Try it</span>
              <CopyButton target="new-token-curl" />
            </figcaption>
            <pre tabIndex={0}>
              <code id="new-token-curl">{`curl -H "Authorization: Bearer ${props.newToken}" \\\n  "$TINYCRM_URL/v1/customers?status=paid"`}</code>
            </pre>
          </figure>
        </section>
      ) : null}
      <section class="card" aria-labelledby="create-token-title">
        <h2 id="create-token-title">New token</h2>
        <Alert error={props.refused?.message} id="token-error" />
        <form method="post" action="/settings/tokens" class="inline-form">
          <CsrfField token={csrfToken} />
          <label class="field grow">
            <span>Name (what uses it)</span>
            <input
              type="text"
              name="name"
              required
              maxLength={80}
              placeholder="weekly export script"
              value={props.refused?.draft.name ?? ''}
              {...invalidField(props.refused, 'token-error')}
            />
          </label>
          <button type="submit" class="button">
            Create token
          </button>
        </form>
      </section>
      <section class="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title">Your tokens</h2>
        {props.tokens.length ? (
          <div class="table-wrap">
            <table class="table keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Created by</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {props.tokens.map((t) => (
                  <tr>
                    <td>{t.name}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>
                      <Time date={t.created_at} />
                    </td>
                    <td>{t.created_by_email ?? '—'}</td>
                    <td>{t.last_used_at ? <Time date={t.last_used_at} /> : 'never'}</td>
                    <td class="actions">
                      {t.revoked_at ? (
                        <span class="status status-revoked">
                          Revoked <Time date={t.revoked_at} />
                        </span>
                      ) : (
                        <ConfirmAction
                          id={`confirm-revoke-token-${t.id}`}
                          label="Revoke…"
                          ariaLabel={`Revoke token ${t.name}…`}
                          title={`Revoke the token “${t.name}”?`}
                          action={`/settings/tokens/${t.id}/revoke`}
                          confirmLabel="Revoke token"
                          csrfToken={csrfToken}
                          small
                        >
                          <p>
                            Scripts using <code>{t.prefix}…</code> get 403 from now on. A revoked
                            token cannot be brought back.
                          </p>
                        </ConfirmAction>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="empty-note">No tokens yet: create one per script that reads this account.</p>
        )}
      </section>
    </Layout>
  )
}
