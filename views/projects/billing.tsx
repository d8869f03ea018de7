// The billing section of a project's page: "Connect Stripe / Connect Paddle" (paste the signing
// secret, get the webhook URL), the connections with their URLs, and how many events wait for an
// email. Plain forms; the copy buttons are the only JS (public/assets/app.js).
import type { ConnectionSummary } from '../../src/billing/connections.js'
import {
  EVENTS_TO_SEND,
  PROVIDER_NAMES,
  PROVIDERS,
  type Provider,
} from '../../src/billing/events.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, Time, plural } from '../ui/elements.js'
import { CopyButton } from './install.js'

export interface BillingSectionProps {
  projectId: number
  connections: (ConnectionSummary & { url: string })[]
  waitingEvents: number
  /** A connection just made: its URL and the events to select are shown on top. */
  connected?: { provider: Provider; url: string; hasSecret: boolean }
  error?: string
  csrfToken: string | undefined
}

const WHERE: Record<Provider, string> = {
  stripe:
    'Stripe dashboard → Developers → Webhooks → Add endpoint; copy its signing secret (whsec_…)',
  paddle:
    'Paddle → Developer tools → Notifications → New destination (type: webhook); copy its secret key',
}

/** Paste the secret of a connection made without one, or replace it (a rolled secret). */
function SecretForm(props: {
  projectId: number
  connection: ConnectionSummary
  csrfToken: string | undefined
}) {
  const { connection: k } = props
  const form = (
    <form
      method="post"
      action={`/projects/${props.projectId}/billing/${k.id}/secret`}
      class="inline-form"
    >
      <CsrfField token={props.csrfToken} />
      <label class="field">
        <span>
          {k.hasSecret ? 'Replace the signing secret' : 'No signing secret yet: paste it'}
        </span>
        <input type="password" name="signingSecret" required autocomplete="off" />
      </label>
      <button type="submit" class="button button-secondary button-small">
        Save secret
      </button>
    </form>
  )
  // A secret in place is replaced rarely (when rolled in the provider): folded away until then.
  return k.hasSecret ? (
    <details>
      <summary class="small">Replace secret…</summary>
      {form}
    </details>
  ) : (
    form
  )
}

export function BillingSection(props: BillingSectionProps) {
  const { connected } = props
  return (
    <section class="card" id="billing" aria-labelledby="billing-title">
      <h2 id="billing-title">Billing: status from Stripe or Paddle</h2>
      <p class="muted small">
        TinyCRM keeps each customer's status, plan and MRR in this project from the provider's
        webhooks: verified, applied once each, in the order they happened.
      </p>
      <Alert error={props.error} />
      {connected ? (
        <div class="key-reveal" role="status">
          <h3>{PROVIDER_NAMES[connected.provider]} connected: paste this URL in it</h3>
          <div class="copy-row">
            <code id="new-webhook-url" class="key-value" data-testid="webhook-url">
              {connected.url}
            </code>
            <CopyButton target="new-webhook-url" />
          </div>
          <p class="small">
            Add it as the endpoint URL and select these events:{' '}
            {EVENTS_TO_SEND[connected.provider].map((e, i) => (
              <>
                {i ? ', ' : ''}
                <code>{e}</code>
              </>
            ))}
            .{' '}
            {connected.hasSecret
              ? 'The signing secret is kept to check signatures and never shown again.'
              : `Then paste the signing secret ${PROVIDER_NAMES[connected.provider]} shows below: until then every event is refused (400), and ${PROVIDER_NAMES[connected.provider]} retries it.`}
          </p>
        </div>
      ) : null}
      {props.connections.length ? (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Webhook URL</th>
              <th scope="col">Events</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.connections.map((k) => (
              <tr>
                <td>
                  {PROVIDER_NAMES[k.provider]}
                  <br />
                  <span class="muted small">
                    since <Time date={k.createdAt} />
                  </span>
                </td>
                <td>
                  <code class="small">{k.url}</code>
                </td>
                <td>
                  {plural(k.events, 'event')}
                  {k.lastEventAt ? (
                    <>
                      <br />
                      <span class="muted small">
                        last <Time date={k.lastEventAt} />
                      </span>
                    </>
                  ) : null}
                </td>
                <td class="actions">
                  <SecretForm
                    projectId={props.projectId}
                    connection={k}
                    csrfToken={props.csrfToken}
                  />
                  <form
                    method="post"
                    action={`/projects/${props.projectId}/billing/${k.id}/delete`}
                  >
                    <CsrfField token={props.csrfToken} />
                    <button
                      type="submit"
                      class="button button-danger button-small"
                      aria-label={`Disconnect ${PROVIDER_NAMES[k.provider]}`}
                    >
                      Disconnect
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p data-testid="waiting-events" class={props.waitingEvents ? 'notice' : 'muted small'}>
        {props.waitingEvents
          ? `${plural(props.waitingEvents, 'event')} waiting for an email: their billing customer has not been seen with one yet. They are applied as soon as an event with the email arrives (enable customer.created and customer.updated).`
          : 'No events waiting for an email.'}
      </p>
      <form method="post" action={`/projects/${props.projectId}/billing`} class="inline-form">
        <CsrfField token={props.csrfToken} />
        <label class="field grow">
          <span>Signing secret (now, or after adding the URL)</span>
          <input
            type="password"
            name="signingSecret"
            autocomplete="off"
            placeholder="whsec_… (Stripe) or pdl_ntfset_… (Paddle)"
          />
        </label>
        {PROVIDERS.map((p) => (
          <button type="submit" name="provider" value={p} class="button">
            Connect {PROVIDER_NAMES[p]}
          </button>
        ))}
      </form>
      <ul class="muted small">
        {PROVIDERS.map((p) => (
          <li>
            {PROVIDER_NAMES[p]}: {WHERE[p]}.
          </li>
        ))}
      </ul>
    </section>
  )
}
