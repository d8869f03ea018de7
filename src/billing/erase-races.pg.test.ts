// A person's billing events racing their erasure (DELETE /v1/customers/:id), on a real PostgreSQL
// server (PGlite runs one statement at a time and hides every race). Each trial makes a person of
// two billing customers, x@ ($10 a month) and y@ ($20), in half the trials merged into one
// customer, then fires the erasure of x@'s customer and six signed Stripe events at once (a gate,
// a lock on `customers` held by the test, parks them all in Postgres and lets them go together):
// subscription changes of both billing customers, an email change, and a new billing customer of
// x@ with a subscription of its own.
//
// Two end states are consistent, for each of the person's emails:
// - gone: the email's customer, billing row and billing customers erased; an event that came after
//   the erasure and names no email (a subscription change) waits, its billing customer unlinked,
//   until an event tells its email again, as for a customer billing has never seen;
// - back: an event committed after the erasure and carried the email (or followed a billing
//   customer linked to it): a NEW customer, its billing row holding only what came after the
//   erasure, its relation saying what that row says.
// Never: a 500 (a deadlock past every retry), the erased customer's id alive, a billing row of an
// email with no customer's relation, a billing customer linked to an email with no billing row,
// or a relation that says something else than its billing rows.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { billingMismatches } from '../../test/support/billing-family.js'
import {
  deadlocks as deadlocksIn,
  monthlySubscription as subscription,
  postSignedStripe,
  stripeConnectedAccount,
  stripeEvent as event,
} from '../../test/support/stripe-races.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { createAccountToken } from '../account-api/tokens.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 30)
const APP_NAME = 'tinycrm-billing-erase-races'
const SECRET = 'whsec_erase_races_0123456789abcd'
const T = 1_790_000_000

const served = useServedApp({
  appName: APP_NAME,
  poolSize: 40,
  gateTable: 'customers',
  ownDatabase: 'tinycrm_billing_erase_races',
})

const post = (path: string, body: object) => postSignedStripe(served.baseUrl + path, SECRET, body)
const deadlocks = () => deadlocksIn(served.db)

describe('billing events racing the erasure of their person (real PostgreSQL)', () => {
  it(`answers every request and leaves the person gone or back whole, never half (${TRIALS} trials)`, async () => {
    const { seeded, path } = await stripeConnectedAccount(served.db, SECRET, ['App A'])
    const { token } = await createAccountToken(served.db, seeded.accountId, 'erase-races')
    const failed: string[] = []
    const outcomes: Record<string, number> = {}
    const deadlocksBefore = await deadlocks()
    for (let t = 0; t < TRIALS; t++) {
      const x = `x.e${t}@erase.test`
      const y = `y.e${t}@erase.test`
      const [cx, cy, cz] = ['x', 'y', 'z'].map((c) => `cus_e${t}_${c}`) as [string, string, string]
      const seed = async (id: string, type: string, object: object, at: number) => {
        const r = await post(path, event(`evt_e${t}_${id}`, type, object, at))
        expect(r.status, JSON.stringify(r.body)).toBe(200)
        return r.body.customerId as number
      }
      await seed('cx', 'customer.created', { id: cx, email: x }, T)
      const X = await seed(
        'sx',
        'customer.subscription.created',
        subscription(`sub_x${t}`, cx, 1000),
        T + 1,
      )
      await seed('cy', 'customer.created', { id: cy, email: y }, T + 2)
      const Y = await seed(
        'sy',
        'customer.subscription.created',
        subscription(`sub_y${t}`, cy, 2000),
        T + 3,
      )
      const merged = t % 2 === 1
      if (merged) {
        const m = await served.call('POST', '/v1/customers/merge', token, {
          survivorId: X,
          absorbedId: Y,
        })
        expect(m.status).toBe(200)
      }
      const racing = [
        event(
          `evt_e${t}_1`,
          'customer.subscription.updated',
          subscription(`sub_x${t}`, cx, 1100),
          T + 10,
        ),
        event(
          `evt_e${t}_2`,
          'customer.subscription.updated',
          subscription(`sub_y${t}`, cy, 2200),
          T + 11,
        ),
        event(
          `evt_e${t}_3`,
          'customer.subscription.created',
          subscription(`sub_x2${t}`, cx, 500),
          T + 12,
        ),
        event(`evt_e${t}_4`, 'customer.updated', { id: cx, email: `new.${x}` }, T + 13),
        event(`evt_e${t}_5`, 'customer.created', { id: cz, email: x }, T + 14),
        event(
          `evt_e${t}_6`,
          'customer.subscription.created',
          subscription(`sub_z${t}`, cz, 300),
          T + 15,
        ),
      ]
      const [erased, ...answers] = await served.gate.gated(racing.length + 1, () =>
        Promise.all([
          served.call('DELETE', `/v1/customers/${X}`, token),
          ...racing.map((e) => post(path, e)),
        ]),
      )
      const problems: string[] = []
      if (erased.status !== 200)
        problems.push(`erasure answered ${erased.status} ${erased.log ?? ''}`)
      answers.forEach((a, n) => {
        if (a.status !== 200)
          problems.push(`event ${n + 1} answered ${a.status}: ${JSON.stringify(a.body)}`)
      })
      const { rows: alive } = await sql<{ id: number; email: string }>`
        SELECT id, email FROM customers WHERE account_id = ${seeded.accountId}
          AND email IN (${x}, ${y}, ${`new.${x}`})`.execute(served.db)
      if (alive.some((c) => c.id === X || (merged && c.id === Y))) {
        problems.push('the erased customer is alive')
      }
      // An event answered with a customer other than the erased one came after the erasure: that
      // customer is there.
      for (const a of answers) {
        const id = a.body.customerId
        if (id && id !== X && !(merged && id === Y) && !alive.some((c) => c.id === id)) {
          problems.push(`event answered for customer ${id}, which is gone`)
        }
      }
      problems.push(...(await billingMismatches(served.db, seeded.accountId, [x, y, `new.${x}`])))
      const back = alive.filter((c) => c.email === x || (merged && c.email === y)).length
      const label = `${merged ? 'merged' : 'alone'}, ${back ? 'back' : 'gone'}`
      outcomes[label] = (outcomes[label] ?? 0) + 1
      if (problems.length) failed.push(`trial ${t} (${label}): ${problems.slice(0, 4).join('; ')}`)
    }
    const deadlocked = (await deadlocks()) - deadlocksBefore
    console.log(
      `billing vs erasure: ${failed.length} of ${TRIALS} trials failed; ${JSON.stringify(outcomes)}; ` +
        `deadlocks ${deadlocked}`,
    )
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
    // The lock order, kept: the event locks the customers before its billing customer's row, as the
    // erasure does. Measured in 60 trials: 63 to 103 deadlocks with the billing row locked first.
    // Then 0 to 16 in 30 trials (a customer the event's statement found only after its billing
    // row: linked meanwhile, or made again after the erasure); with allHeld (src/db/lock-order.ts)
    // it retries at once instead: 0 in each of 5 runs of 30, one of them beside the whole suite.
    expect(deadlocked, 'deadlocks').toBeLessThan(TRIALS / 6)
  })
})
