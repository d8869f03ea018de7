// Billing connections of a project: create (the webhook URL comes out; the signing secret goes in
// now or later, since Stripe and Paddle show it only once the URL is entered in them), set or
// replace the secret, list (never with the secret), delete, and the lookup the webhook route does.
// Every function but the lookup takes the account id, so another account's connection answers
// "not found".
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { randomBase62 } from '../lib/keys.js'
import { PROVIDERS, type Provider } from './events.js'
import { checkedProducts } from './products.js'
import { BILLING_EVENT_DAYS } from './retention.js'

/** `bill_` + 24 base62 characters: 142 random bits, the unguessable part of the webhook URL. */
const CONNECTION_ID = /^bill_[0-9A-Za-z]{24}$/
export const looksLikeConnectionId = (id: string) => CONNECTION_ID.test(id)

export const webhookPath = (id: string) => `/v1/billing/webhooks/${id}`

export interface ConnectionSummary {
  id: string
  provider: Provider
  createdAt: Date
  /** False until the signing secret is pasted: the webhook refuses every event meanwhile. */
  hasSecret: boolean
  /** The provider's product ids whose events it applies (./products.ts); empty: every product. */
  products: string[]
  /** Events received through this connection in the last BILLING_EVENT_DAYS days (older ids are
   *  forgotten: ./retention.ts). */
  events: number
  /** When the newest event came (kept past the window). */
  lastEventAt: Date | null
}

/** Why a pasted secret is refused, or undefined when it looks like the provider's signing secret.
 *  The usual mistake is pasting an API key, which TinyCRM must never hold. */
export function signingSecretProblem(provider: Provider, secret: string): string | undefined {
  if (secret.length < 16 || secret.length > 256 || /\s/.test(secret)) {
    return 'signingSecret must be the signing secret as the provider shows it (16 to 256 characters, no spaces)'
  }
  if (provider === 'stripe' && !secret.startsWith('whsec_')) {
    return /^(sk|rk|pk)_/.test(secret)
      ? 'signingSecret is a Stripe API key; paste the webhook signing secret (whsec_…) instead, and keep API keys out of TinyCRM'
      : "signingSecret must be the Stripe webhook's signing secret, which starts with whsec_"
  }
  if (provider === 'paddle' && /apikey/.test(secret)) {
    return "signingSecret is a Paddle API key; paste the notification destination's secret key (pdl_ntfset_…) instead"
  }
  return undefined
}

export function parseProvider(value: unknown): Provider {
  if (typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value)) {
    return value as Provider
  }
  throw new ApiError('validation_failed', `provider must be one of ${PROVIDERS.join(', ')}`, [
    { path: 'provider', message: `one of ${PROVIDERS.join(', ')}` },
  ])
}

function checkedSecret(provider: Provider, input: string): string {
  const secret = input.trim()
  const problem = signingSecretProblem(provider, secret)
  if (problem) {
    throw new ApiError('validation_failed', problem, [{ path: 'signingSecret', message: problem }])
  }
  return secret
}

export async function createConnection(
  db: Kysely<Database>,
  input: {
    accountId: number
    projectId: number
    provider: Provider
    signingSecret?: string
    /** Product ids (an array, or the dashboard's text); absent: every product. */
    products?: unknown
  },
): Promise<
  | { id: string; provider: Provider; createdAt: Date; hasSecret: boolean; products: string[] }
  | undefined
> {
  const secret =
    input.signingSecret === undefined ? null : checkedSecret(input.provider, input.signingSecret)
  const products =
    input.products === undefined ? [] : checkedProducts(input.provider, input.products)
  const row = await db
    .insertInto('billing_connections')
    .columns(['id', 'account_id', 'project_id', 'provider', 'signing_secret', 'products'])
    .expression((eb) =>
      eb
        .selectFrom('projects')
        .select([
          eb.val(`bill_${randomBase62(24)}`).as('id'),
          'account_id',
          'id as project_id',
          eb.val(input.provider).as('provider'),
          eb.val(secret).as('signing_secret'),
          sql<string>`${JSON.stringify(products)}::jsonb`.as('products'),
        ])
        .where('account_id', '=', input.accountId)
        .where('id', '=', input.projectId)
        // A project deleted meanwhile is not found (rather than failing the foreign key).
        .forKeyShare(),
    )
    .returning(['id', 'created_at'])
    .executeTakeFirst()
  return (
    row && {
      id: row.id,
      provider: input.provider,
      createdAt: row.created_at,
      hasSecret: !!secret,
      products,
    }
  )
}

/** Changes a connection: its product list (`products`; empty: every product again) and/or its
 *  signing secret (a rolled one). Both are checked before either is written, and written in one
 *  statement: a refused or failed change changes nothing. The product list applies to events from
 *  then on (what earlier events wrote stays). The list as stored, or undefined when there is no
 *  such connection in the project. */
export async function changeConnection(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  connectionId: string,
  change: { products?: unknown; signingSecret?: string },
): Promise<{ products: string[] } | undefined> {
  const connection = await db
    .selectFrom('billing_connections')
    .select('provider')
    .where('account_id', '=', accountId)
    .where('project_id', '=', projectId)
    .where('id', '=', connectionId)
    .executeTakeFirst()
  if (!connection) return undefined
  const products =
    change.products === undefined
      ? undefined
      : checkedProducts(connection.provider, change.products)
  const secret =
    change.signingSecret === undefined
      ? undefined
      : checkedSecret(connection.provider, change.signingSecret)
  const row = await db
    .updateTable('billing_connections')
    .set({
      ...(products !== undefined && { products: JSON.stringify(products) }),
      ...(secret !== undefined && { signing_secret: secret }),
    })
    .where('account_id', '=', accountId)
    .where('project_id', '=', projectId)
    .where('id', '=', connectionId)
    .returning('products')
    .executeTakeFirst()
  return row && { products: row.products as string[] }
}

export interface BillingOverview {
  /** The project's connections, oldest first, without their secrets. */
  connections: ConnectionSummary[]
  /** Events kept until their billing customer's email is known. */
  waitingEvents: number
}

export type ConnectionJson = {
  id: string
  provider: Provider
  created_at: string
  has_secret: boolean
  products: string[]
  events: number
  last_event_at: string | null
}

/** The billing overview of the project aliased `p` in a projects query, as two more columns:
 *  `billing_connections` and `billing_waiting` (read them with overviewOf). */
export const billingColumns = [
  sql<ConnectionJson[]>`(SELECT COALESCE(json_agg(json_build_object(
      'id', c.id, 'provider', c.provider, 'created_at', c.created_at,
      'has_secret', c.signing_secret IS NOT NULL, 'products', c.products,
      'events', (SELECT count(*) FROM billing_events e WHERE e.connection_id = c.id
        AND e.received_at >= now() - make_interval(days => ${BILLING_EVENT_DAYS})),
      'last_event_at', (SELECT max(e.received_at) FROM billing_events e
        WHERE e.connection_id = c.id))
    ORDER BY c.created_at, c.id), '[]'::json)
   FROM billing_connections c
   WHERE c.account_id = p.account_id AND c.project_id = p.id)`.as('billing_connections'),
  sql<number>`(SELECT count(*)::int
   FROM billing_customers b
   JOIN billing_events e ON e.project_id = b.project_id AND e.provider = b.provider
     AND e.billing_customer_id = b.billing_customer_id
   WHERE b.project_id = p.id AND b.email IS NULL)`.as('billing_waiting'),
]

export function overviewOf(row: {
  billing_connections: ConnectionJson[]
  billing_waiting: number
}): BillingOverview {
  return {
    connections: row.billing_connections.map((k) => ({
      id: k.id,
      provider: k.provider,
      createdAt: new Date(k.created_at),
      hasSecret: k.has_secret,
      products: k.products ?? [],
      events: Number(k.events),
      lastEventAt: k.last_event_at ? new Date(k.last_event_at) : null,
    })),
    waitingEvents: Number(row.billing_waiting),
  }
}

/** A project's billing connections and its count of waiting events, in one statement;
 *  undefined when the project is not the account's. */
export async function billingOverview(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<BillingOverview | undefined> {
  const row = await db
    .selectFrom('projects as p')
    .select(billingColumns)
    .where('p.account_id', '=', accountId)
    .where('p.id', '=', projectId)
    .executeTakeFirst()
  return row && overviewOf(row)
}

export async function deleteConnection(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  connectionId: string,
): Promise<boolean> {
  const res = await db
    .deleteFrom('billing_connections')
    .where('account_id', '=', accountId)
    .where('project_id', '=', projectId)
    .where('id', '=', connectionId)
    .executeTakeFirst()
  return res.numDeletedRows > 0n
}

/** The webhook route's lookup: the connection (with its secret) by the id in the URL. */
export async function findConnection(db: Kysely<Database>, id: string) {
  if (!looksLikeConnectionId(id)) return undefined
  return db
    .selectFrom('billing_connections')
    .select(['id', 'project_id', 'provider', 'signing_secret', 'products'])
    .where('id', '=', id)
    .executeTakeFirst()
}
