// Billing connections of a project: create (the signing secret goes in, the webhook URL comes
// out), list (never with the secret), delete, and the lookup the webhook route does. Every function
// but the lookup takes the account id, so another account's connection answers "not found".
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { randomBase62 } from '../lib/keys.js'
import { PROVIDERS, type Provider } from './events.js'

/** `bill_` + 24 base62 characters: 142 random bits, the unguessable part of the webhook URL. */
const CONNECTION_ID = /^bill_[0-9A-Za-z]{24}$/
export const looksLikeConnectionId = (id: string) => CONNECTION_ID.test(id)

export const webhookPath = (id: string) => `/v1/billing/webhooks/${id}`

export interface ConnectionSummary {
  id: string
  provider: Provider
  createdAt: Date
  /** Events applied or waiting through this connection. */
  events: number
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

export async function createConnection(
  db: Kysely<Database>,
  input: { accountId: number; projectId: number; provider: Provider; signingSecret: string },
): Promise<{ id: string; provider: Provider; createdAt: Date } | undefined> {
  const secret = input.signingSecret.trim()
  const problem = signingSecretProblem(input.provider, secret)
  if (problem) {
    throw new ApiError('validation_failed', problem, [{ path: 'signingSecret', message: problem }])
  }
  const row = await db
    .insertInto('billing_connections')
    .columns(['id', 'account_id', 'project_id', 'provider', 'signing_secret'])
    .expression((eb) =>
      eb
        .selectFrom('projects')
        .select([
          eb.val(`bill_${randomBase62(24)}`).as('id'),
          'account_id',
          'id as project_id',
          eb.val(input.provider).as('provider'),
          eb.val(secret).as('signing_secret'),
        ])
        .where('account_id', '=', input.accountId)
        .where('id', '=', input.projectId),
    )
    .returning(['id', 'created_at'])
    .executeTakeFirst()
  return row && { id: row.id, provider: input.provider, createdAt: row.created_at }
}

/** The project's connections, oldest first, without their secrets. */
export async function listConnections(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<ConnectionSummary[]> {
  const rows = await db
    .selectFrom('billing_connections as c')
    .select([
      'c.id',
      'c.provider',
      'c.created_at',
      sql<number>`(SELECT count(*)::int FROM billing_events e WHERE e.connection_id = c.id)`.as(
        'events',
      ),
      sql<Date | null>`(SELECT max(e.received_at) FROM billing_events e
        WHERE e.connection_id = c.id)`.as('last_event_at'),
    ])
    .where('c.account_id', '=', accountId)
    .where('c.project_id', '=', projectId)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    provider: r.provider,
    createdAt: r.created_at,
    events: Number(r.events),
    lastEventAt: r.last_event_at ? new Date(r.last_event_at) : null,
  }))
}

/** Events of the project kept until their billing customer's email is known. */
export async function countWaitingEvents(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<number> {
  const row = await db
    .selectFrom('billing_customers as b')
    .innerJoin('billing_events as e', (join) =>
      join
        .onRef('e.project_id', '=', 'b.project_id')
        .onRef('e.provider', '=', 'b.provider')
        .onRef('e.billing_customer_id', '=', 'b.billing_customer_id'),
    )
    .innerJoin('projects as p', 'p.id', 'b.project_id')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('p.account_id', '=', accountId)
    .where('b.project_id', '=', projectId)
    .where('b.email', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
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
    .select(['id', 'project_id', 'provider', 'signing_secret'])
    .where('id', '=', id)
    .executeTakeFirst()
}
