// Settings → Team: the account's members, its pending invite links, and a button that makes a new
// one (shown once, to copy: TinyCRM sends no email). And the page an invited person opens.
import { ConfirmAction } from './ui/confirm.js'
import { CsrfField } from './ui/csrf.js'
import { Alert, invalidField, type Refused } from './ui/elements.js'
import { EmailField, NewPasswordField } from './ui/account-fields.js'
import { Layout } from './ui/layout.js'

export interface MemberRow {
  id: number
  email: string
  created_at: Date
}

export interface InviteRow {
  id: number
  created_at: Date
  expires_at: Date
  created_by_email: string | null
}

const day = (d: Date) => d.toISOString().slice(0, 10)

/** A table row's one destructive action: a form with its button. */
function RowAction(props: { action: string; label: string; csrfToken?: string }) {
  return (
    <form method="post" action={props.action}>
      <CsrfField token={props.csrfToken} />
      <button type="submit" class="button button-danger button-small">
        {props.label}
      </button>
    </form>
  )
}

export function TeamPage(props: {
  members: MemberRow[]
  invites: InviteRow[]
  userId: number
  userEmail: string
  csrfToken?: string
  /** The invite link just made (the redirect's flash), shown this once. */
  newLink?: string
  error?: string
}) {
  return (
    <Layout title="Team" userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <div class="stack">
        <h1>Team</h1>
        <p class="muted">
          Everyone here sees and does the same: customers, projects, keys, tokens. To add someone,
          send them an invite link; it works once, for a week. A forgotten password is reset from
          the command line: <code>npm run tinycrm -- account reset-password --email EMAIL</code>.
        </p>
        {props.error ? (
          <p class="notice notice-error" role="alert">
            {props.error}
          </p>
        ) : null}
        {props.newLink ? (
          <div class="card stack key-reveal" role="status">
            <h2>Invite link</h2>
            <p>Send it to your teammate: it is stored hashed and will not be shown again.</p>
            <pre class="code-block" data-testid="invite-link">
              {props.newLink}
            </pre>
          </div>
        ) : null}
        <form method="post" action="/settings/team/invites" class="card inline-form">
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="button">
            Create an invite link
          </button>
        </form>
        <h2>Members</h2>
        <div class="table-wrap">
          <table class="table team-table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Member since</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {props.members.map((m) => (
                <tr>
                  <td>{m.email}</td>
                  <td>{day(m.created_at)}</td>
                  <td>
                    {m.id === props.userId ? (
                      <span class="muted">you</span>
                    ) : (
                      <ConfirmAction
                        id={`confirm-remove-member-${m.id}`}
                        label="Remove…"
                        ariaLabel={`Remove ${m.email}…`}
                        title={`Remove ${m.email} from this account?`}
                        action={`/settings/team/members/${m.id}/remove`}
                        confirmLabel="Remove member"
                        csrfToken={props.csrfToken}
                        small
                      >
                        <p>
                          They are logged out at once, for good; their account tokens are revoked
                          and unused invite links withdrawn.
                        </p>
                      </ConfirmAction>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {props.invites.length ? (
          <>
            <h2>Pending invites</h2>
            <div class="table-wrap">
              <table class="table team-table invites-table">
                <thead>
                  <tr>
                    <th scope="col">Made by</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col"></th>
                  </tr>
                </thead>
                <tbody>
                  {props.invites.map((i) => (
                    <tr>
                      <td>{i.created_by_email ?? '—'}</td>
                      <td>{day(i.created_at)}</td>
                      <td>{day(i.expires_at)}</td>
                      <td>
                        <RowAction
                          action={`/settings/team/invites/${i.id}/revoke`}
                          label="Withdraw"
                          csrfToken={props.csrfToken}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </div>
    </Layout>
  )
}

export function AcceptInvitePage(props: {
  token: string
  accountName?: string
  csrfToken?: string
  /** A refused join (the redirect's flash): why, the field it is about, the email typed (never
   *  the password). */
  refused?: Refused
  minPassword: number
}) {
  const { refused } = props
  const at = (field: string) =>
    invalidField(refused?.field === field ? refused : undefined, 'invite-error')
  if (!props.accountName) {
    return (
      <Layout title="Invite not valid">
        <section class="card narrow auth-card">
          <h1>This invite link is not valid</h1>
          <p>
            It was used, withdrawn or has expired. Ask whoever sent it for a new one, or{' '}
            <a href="/login">log in</a>.
          </p>
        </section>
      </Layout>
    )
  }
  return (
    <Layout title="Join a team">
      <section class="card narrow auth-card">
        <h1>Join {props.accountName} on TinyCRM</h1>
        <p class="muted">Choose the email and password you will log in with.</p>
        <Alert error={refused?.message} id="invite-error" />
        <form method="post" action={`/invite/${props.token}`} class="stack">
          <CsrfField token={props.csrfToken} />
          <EmailField value={refused?.draft.email} invalid={at('email')} />
          <NewPasswordField min={props.minPassword} invalid={at('password')} />
          <button type="submit" class="button">
            Join
          </button>
        </form>
      </section>
    </Layout>
  )
}
