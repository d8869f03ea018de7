// Moving house, for the bundle tests: an account with the README's questions answered, an
// account token, and a merge made before the move; then what the account API answers.
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { createAccountToken } from '../../src/account-api/tokens.js'
import { QUESTIONS, seedQuestions } from './customers-fixture.js'
import { postJson } from './fixtures.js'

type Fetcher = { request: (input: string, init?: RequestInit) => Response | Promise<Response> }

export async function seedForMove(app: Fetcher, db: Kysely<Database>) {
  const fixture = await seedQuestions(app, db)
  const { token } = await createAccountToken(db, fixture.accountId, 'moving')
  // Two extra customers, merged: the undo must still work on the new host.
  for (const email of ['kim@example.com', 'kim.work@example.com']) {
    await postJson(app, '/v1/identify', fixture.keys.a, {
      email,
      name: 'Kim',
      status: email.startsWith('kim@') ? 'trial' : 'paid',
      params: { seat: email },
    })
  }
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'email'])
    .where('account_id', '=', fixture.accountId)
    .where('email', 'like', 'kim%')
    .orderBy('email')
    .execute()
  const merged = await postJson(app, '/v1/customers/merge', token, {
    survivorId: rows[0]!.id,
    absorbedId: rows[1]!.id,
  })
  if (merged.status !== 200) throw new Error(`merge failed: ${JSON.stringify(merged.body)}`)
  return { ...fixture, token, mergeId: merged.body.mergeId as number }
}

async function getJson(app: Fetcher, path: string, token: string) {
  const res = await app.request(path, { headers: { Authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() }
}

/** Every README question's answer through the account API, and the merged customer's page. */
export async function answers(app: Fetcher, token: string) {
  const out: Record<string, unknown> = {}
  for (const q of QUESTIONS) {
    out[q.query] = await getJson(app, `/v1/customers?${q.query}&limit=200`, token)
  }
  out.all = await getJson(app, '/v1/customers?limit=200&sort=email', token)
  return out
}

export async function undo(app: Fetcher, token: string, mergeId: number) {
  const res = await app.request(`/v1/merges/${mergeId}/undo`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  })
  return { status: res.status, body: await res.json() }
}
