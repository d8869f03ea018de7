// A merge and its undo racing billing events of the same person, on a real PostgreSQL server
// (PGlite runs one statement at a time and hides every race). Each trial makes a person of two
// billing customers, x@ ($10 a month) and y@ ($20), then merges y@ into x@ with four Stripe events
// of theirs (in even trials all fired at once through a gate, a lock on `customers` held by the
// test that parks them in Postgres and lets them go together; in odd ones the merge after them),
// then fires the undo with three more events at once.
//
// Whatever order they commit in: every request answered (the undo refused, 409, when an event
// changed the survivor after the merge: undo never loses data), and afterwards each live customer's
// relation says what its family's billing rows say (billingMismatches), the merge and the undo
// writing that at once as billing events do.
import { describe, expect, it } from 'vitest'
import { billingMismatches } from '../../test/support/billing-family.js'
import {
  deadlocks as deadlocksIn,
  monthlySubscription as subscription,
  postSignedStripe,
  stripeConnectedAccount,
  stripeEvent as event,
} from '../../test/support/stripe-races.js'
import { useServedApp, type Reply } from '../../test/support/pg-harness.js'
import { createAccountToken } from '../account-api/tokens.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 30)
const APP_NAME = 'tinycrm-merge-billing-races'
const SECRET = 'whsec_merge_races_0123456789abcd'
const T = 1_790_000_000

const served = useServedApp({
  appName: APP_NAME,
  poolSize: 40,
  gateTable: 'customers',
  ownDatabase: 'tinycrm_merge_billing_races',
})

const post = (path: string, body: object) => postSignedStripe(served.baseUrl + path, SECRET, body)
const deadlocks = () => deadlocksIn(served.db)

describe('a merge and its undo racing billing events of the same person (real PostgreSQL)', () => {
  it(`answers every request and leaves each relation saying what its billing rows say (${TRIALS} trials)`, async () => {
    const { seeded, path } = await stripeConnectedAccount(served.db, SECRET, ['App A'])
    const { token } = await createAccountToken(served.db, seeded.accountId, 'merge-races')
    const failed: string[] = []
    const undos: Record<number, number> = {}
    const deadlocksBefore = await deadlocks()
    for (let t = 0; t < TRIALS; t++) {
      const x = `x.m${t}@merge.test`
      const y = `y.m${t}@merge.test`
      const [cx, cy] = [`cus_m${t}_x`, `cus_m${t}_y`]
      const send = (id: string, type: string, object: object, at: number) =>
        post(path, event(`evt_m${t}_${id}`, type, object, at))
      await send('cx', 'customer.created', { id: cx, email: x }, T)
      const X = (
        await send(
          'sx',
          'customer.subscription.created',
          subscription(`sub_x${t}`, cx, 1000),
          T + 1,
        )
      ).body.customerId
      await send('cy', 'customer.created', { id: cy, email: y }, T + 2)
      const Y = (
        await send(
          'sy',
          'customer.subscription.created',
          subscription(`sub_y${t}`, cy, 2000),
          T + 3,
        )
      ).body.customerId
      const problems: string[] = []
      const answered = (what: string, r: Reply, ok: number[]) => {
        if (!ok.includes(r.status)) {
          problems.push(`${what} answered ${r.status}: ${JSON.stringify(r.body)} ${r.log ?? ''}`)
        }
      }
      const whole = async (when: string) => {
        for (const m of await billingMismatches(served.db, seeded.accountId, [x, y])) {
          problems.push(`${when}: ${m}`)
        }
      }

      const merge = () =>
        served.call('POST', '/v1/customers/merge', token, { survivorId: X, absorbedId: Y })
      const before = () => [
        send('e1', 'customer.subscription.updated', subscription(`sub_x${t}`, cx, 1100), T + 10),
        send('e2', 'customer.subscription.updated', subscription(`sub_y${t}`, cy, 2200), T + 11),
        send('e3', 'customer.subscription.created', subscription(`sub_x2${t}`, cx, 500), T + 12),
        send(
          'e4',
          'customer.subscription.created',
          subscription(`sub_y2${t}`, cy, 700, 'trialing'),
          T + 13,
        ),
      ]
      // Even trials race the merge with the events; odd ones merge after them, so that the undo
      // (which an event after the merge makes refuse) can win its race.
      const [merged, ...first] =
        t % 2 === 0
          ? await served.gate.gated(5, () => Promise.all([merge(), ...before()]))
          : await Promise.all(before()).then(async (e) => [await merge(), ...e])
      answered('merge', merged!, [200])
      first.forEach((r, n) => answered(`event ${n + 1}`, r, [200]))
      await whole('after the merge')

      const [undone, ...second] = await served.gate.gated(4, () =>
        Promise.all([
          served.call('POST', `/v1/merges/${merged!.body.mergeId}/undo`, token),
          send('e5', 'customer.subscription.updated', subscription(`sub_x${t}`, cx, 1200), T + 20),
          send('e6', 'customer.subscription.updated', subscription(`sub_y${t}`, cy, 2400), T + 21),
          send(
            'e7',
            'customer.subscription.deleted',
            subscription(`sub_x2${t}`, cx, 500, 'canceled'),
            T + 22,
          ),
        ]),
      )
      // 409: an event changed the survivor after the merge, and undo keeps what it wrote.
      answered('undo', undone!, [200, 409])
      if (undone!.status === 409 && !/changed/.test(undone!.body.error?.message)) {
        problems.push(`undo refused: ${undone!.body.error?.message}`)
      }
      undos[undone!.status] = (undos[undone!.status] ?? 0) + 1
      second.forEach((r, n) => answered(`event ${n + 5}`, r, [200]))
      await whole('after the undo')
      if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 4).join('; ')}`)
    }
    const deadlocked = (await deadlocks()) - deadlocksBefore
    console.log(
      `merge/undo vs billing: ${failed.length} of ${TRIALS} trials failed; undo answered ` +
        `${JSON.stringify(undos)}; deadlocks ${deadlocked}`,
    )
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
  })
})
