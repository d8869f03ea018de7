// The billing section of a project's page: "Connect Stripe / Connect Paddle" (paste the signing
// secret, get the webhook URL), the connections with their URLs, and how many events wait for an
// email. Plain forms (disconnecting asks first, in a popover); the copy buttons are the only JS
// (public/assets/app.js). A refused form comes back (after the redirect of
// src/projects/routes.tsx) with why under the field at fault, focused, and what was typed in it,
// except a signing secret, which is never sent back to the browser.
import type { ConnectionSummary } from '../../src/billing/connections.js'
import type { ShownRefusal } from '../../src/lib/flash.js'
import { BILLING_EVENT_DAYS } from '../../src/billing/retention.js'
import {
  EVENTS_TO_SEND,
  PROVIDER_NAMES,
  PROVIDERS,
  type Provider,
} from '../../src/billing/events.js'
import { ConfirmAction } from '../ui/confirm.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, Time, invalidField, plural } from '../ui/elements.js'
import { CopyButton } from './install.js'

export interface BillingSectionProps {
  projectId: number
  connections: (ConnectionSummary & { url: string })[]
  waitingEvents: number
  /** A connection just made: its URL and the events to select are shown on top. */
  connected?: { provider: Provider; url: string; hasSecret: boolean }
  /** A refused form of this section ('connect', `secret-<connection id>`, `products-<id>`). */
  refused?: ShownRefusal
  csrfToken: string | undefined
}

/** The refusal of `form`, when the one that led here is about it. */
const refusedIn = (refused: ShownRefusal | undefined, form: string) =>
  refused?.form === form ? refused : undefined

/** The attributes of `field` in a form refused (`refused`, or none): invalid, described by the
 *  message `messageId` (and by `hint`), focused; or only described by its `hint`. */
function fieldState(
  refused: ShownRefusal | undefined,
  field: string,
  messageId: string,
  hint?: string,
) {
  if (refused?.field !== field) return { 'aria-describedby': hint }
  const state = invalidField(refused, messageId)
  return { ...state, 'aria-describedby': [messageId, hint].filter(Boolean).join(' ') }
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
  refused?: ShownRefusal
  csrfToken: string | undefined
}) {
  const { connection: k } = props
  const refused = refusedIn(props.refused, `secret-${k.id}`)
  const errorId = `secret-error-${k.id}`
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
        <input
          type="password"
          name="signingSecret"
          required
          autocomplete="off"
          {...fieldState(refused, 'signingSecret', errorId)}
        />
      </label>
      <button type="submit" class="button button-secondary button-small">
        Save secret
      </button>
      <Alert error={refused?.message} id={errorId} wide />
    </form>
  )
  // A secret in place is replaced rarely (when rolled in the provider): folded away until then.
  return k.hasSecret ? (
    <details open={!!refused}>
      <summary class="small">Replace secret…</summary>
      {form}
    </details>
  ) : (
    form
  )
}

const PRODUCT_HINT =
  'For an account that sells several products: list this project’s product ids (Stripe prod_…, Paddle pro_…), separated by commas. Other products’ events are ignored. Empty: every product.'

/** The product ids a connection applies (empty: every product), shown and changed. */
function ProductsForm(props: {
  projectId: number
  connection: ConnectionSummary
  refused?: ShownRefusal
  csrfToken: string | undefined
}) {
  const { connection: k } = props
  const refused = refusedIn(props.refused, `products-${k.id}`)
  const hintId = `products-hint-${k.id}`
  const errorId = `products-error-${k.id}`
  return (
    <details open={!!refused}>
      <summary class="small">Change products…</summary>
      <form
        method="post"
        action={`/projects/${props.projectId}/billing/${k.id}/products`}
        class="inline-form"
      >
        <CsrfField token={props.csrfToken} />
        <label class="field">
          <span>Product ids</span>
          <input
            type="text"
            name="products"
            value={refused?.draft.products ?? k.products.join(', ')}
            autocomplete="off"
            spellcheck={false}
            {...fieldState(refused, 'products', errorId, hintId)}
          />
        </label>
        <button type="submit" class="button button-secondary button-small">
          Save products
        </button>
        <Alert error={refused?.message} id={errorId} wide />
        <p class="muted small" id={hintId}>
          {PRODUCT_HINT} Applies to events from now on.
        </p>
      </form>
    </details>
  )
}

export function BillingSection(props: BillingSectionProps) {
  const { connected } = props
  const connect = refusedIn(props.refused, 'connect')
  return (
    <section class="card" id="billing" aria-labelledby="billing-title">
      <h2 id="billing-title">Billing: status from Stripe or Paddle</h2>
      <p class="muted small">
        Each customer's status, plan and MRR here come from the provider's webhooks: verified,
        applied once each, in the order they happened.
      </p>
      {connected ? (
        <div class="key-reveal connection-reveal" role="status">
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
        <ul class="connection-list" aria-label="Connections">
          {props.connections.map((k) => (
            <Connection
              connection={k}
              projectId={props.projectId}
              refused={props.refused}
              csrfToken={props.csrfToken}
            />
          ))}
        </ul>
      ) : null}
      <p data-testid="waiting-events" class={props.waitingEvents ? 'notice' : 'muted small'}>
        {props.waitingEvents
          ? `${plural(props.waitingEvents, 'event')} waiting for an email: their billing customer has none yet. They apply once an event with it arrives (enable customer.created and customer.updated).`
          : 'No events waiting for an email.'}
      </p>
      <form method="post" action={`/projects/${props.projectId}/billing`} class="connect-form">
        <CsrfField token={props.csrfToken} />
        <h3>{props.connections.length ? 'Connect another' : 'Connect a provider'}</h3>
        <label class="field">
          <span>Signing secret (now, or after adding the URL)</span>
          <input
            type="password"
            name="signingSecret"
            autocomplete="off"
            placeholder="whsec_… (Stripe) or pdl_ntfset_… (Paddle)"
            {...fieldState(connect, 'signingSecret', 'connect-error', 'billing-where')}
          />
        </label>
        {/* Why it was refused, under the field at fault; about no field (the provider), under
            the last one. */}
        {connect?.field === 'signingSecret' ? (
          <Alert error={connect.message} id="connect-error" />
        ) : null}
        <label class="field">
          <span>Products (optional)</span>
          <input
            type="text"
            name="products"
            autocomplete="off"
            spellcheck={false}
            placeholder="every product, or prod_… / pro_…, comma-separated"
            value={connect?.draft.products ?? ''}
            {...fieldState(connect, 'products', 'connect-error', 'billing-products-hint')}
          />
        </label>
        {connect && connect.field !== 'signingSecret' ? (
          <Alert error={connect.message} id="connect-error" />
        ) : null}
        <p class="muted small" id="billing-products-hint">
          {PRODUCT_HINT}
        </p>
        <ul class="muted small where-list" id="billing-where">
          {PROVIDERS.map((p) => (
            <li>
              {PROVIDER_NAMES[p]}: {WHERE[p]}.
            </li>
          ))}
        </ul>
        <div class="button-row">
          {PROVIDERS.map((p, i) => (
            <button
              type="submit"
              name="provider"
              value={p}
              class={i ? 'button button-secondary' : 'button'}
            >
              Connect {PROVIDER_NAMES[p]}
            </button>
          ))}
        </div>
      </form>
    </section>
  )
}

/** One connection: provider, its URL to copy, what arrived, and what can be done with it. */
function Connection(props: {
  connection: ConnectionSummary & { url: string }
  projectId: number
  refused?: ShownRefusal
  csrfToken: string | undefined
}) {
  const { connection: k } = props
  const name = PROVIDER_NAMES[k.provider]
  const urlId = `webhook-url-${k.id}`
  return (
    <li class="connection">
      <div class="connection-head">
        <strong>{name}</strong>
        <span class={k.hasSecret ? 'status status-active' : 'status status-trial'}>
          {k.hasSecret ? 'Signing secret set' : 'No signing secret yet'}
        </span>
        <span class="muted small">
          since <Time date={k.createdAt} /> · {plural(k.events, 'event')} in {BILLING_EVENT_DAYS}{' '}
          days
          {k.lastEventAt ? (
            <>
              , last <Time date={k.lastEventAt} />
            </>
          ) : null}
        </span>
      </div>
      <p class="small" data-testid="connection-products">
        {k.products.length ? (
          <>
            Products:{' '}
            {k.products.map((p, i) => (
              <>
                {i ? ', ' : ''}
                <code>{p}</code>
              </>
            ))}{' '}
            <span class="muted">(other products' events are ignored)</span>
          </>
        ) : (
          <span class="muted">Every product of the account</span>
        )}
      </p>
      <div class="copy-row">
        <code id={urlId} class="small connection-url">
          {k.url}
        </code>
        <CopyButton target={urlId} />
      </div>
      <div class="connection-actions">
        <SecretForm
          projectId={props.projectId}
          connection={k}
          refused={props.refused}
          csrfToken={props.csrfToken}
        />
        <ProductsForm
          projectId={props.projectId}
          connection={k}
          refused={props.refused}
          csrfToken={props.csrfToken}
        />
        <ConfirmAction
          id={`confirm-disconnect-${k.id}`}
          label="Disconnect…"
          ariaLabel={`Disconnect ${name}`}
          title={`Disconnect ${name}?`}
          action={`/projects/${props.projectId}/billing/${k.id}/delete`}
          confirmLabel="Disconnect"
          csrfToken={props.csrfToken}
          small
        >
          <p>
            Events {name} sends to this URL get 404 from now on and change nothing; statuses already
            set stay as they are. Remove the endpoint in {name} too.
          </p>
        </ConfirmAction>
      </div>
    </li>
  )
}
