// Signed Stripe events for the billing race tests on PostgreSQL (src/billing/*races.pg.test.ts,
// src/merges/billing-races.pg.test.ts): the payloads, the signed post, and the deadlocks counted.
import Stripe from 'stripe'
import { sql, type Kysely } from 'kysely'
import { createConnection, webhookPath } from '../../src/billing/connections.js'
import type { Database } from '../../src/db/schema.js'
import { seedAccount } from './fixtures.js'

const stripe = new Stripe('sk_test_not_used')

/** A new account whose first project is connected to Stripe with `secret`: the account, and the
 *  path of the connection's webhook. */
export async function stripeConnectedAccount(
  db: Kysely<Database>,
  secret: string,
  projects?: string[],
) {
  const seeded = await seedAccount(db, projects)
  const connection = await createConnection(db, {
    accountId: seeded.accountId,
    projectId: seeded.projects[0]!.project.id,
    provider: 'stripe',
    signingSecret: secret,
  })
  return { seeded, path: webhookPath(connection!.id) }
}

/** Posts `event` to `url` signed with `secret` as Stripe signs it (the real package's helper). */
export async function postSignedStripe(url: string, secret: string, event: object) {
  const payload = JSON.stringify(event)
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
    },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

export const stripeEvent = (id: string, type: string, object: object, created: number) => ({
  id,
  object: 'event',
  created,
  type,
  data: { object },
})

/** A subscription of one monthly price of `amount` cents (its plan: `p<amount>`, the lookup key). */
export const monthlySubscription = (
  id: string,
  customer: string,
  amount: number,
  status = 'active',
) => ({
  id,
  object: 'subscription',
  customer,
  currency: 'usd',
  status,
  items: {
    data: [
      {
        quantity: 1,
        price: {
          id: `price_${amount}`,
          lookup_key: `p${amount}`,
          unit_amount: amount,
          recurring: { interval: 'month' },
        },
      },
    ],
  },
})

/** Deadlocks PostgreSQL detected in the current database. The app retries them (a 500 only when
 *  they repeat past every attempt), but each costs a `deadlock_timeout` (1 s by default) and a
 *  rerun: writers that lock in one order have none. */
export async function deadlocks(db: Kysely<any>) {
  const { rows } = await sql<{ n: number }>`SELECT deadlocks::int AS n FROM pg_stat_database
    WHERE datname = current_database()`.execute(db)
  return rows[0]!.n
}
