// The Paddle recipe of sdk/README.md ("Payment webhooks"), run as written: its code block is
// written to a file and imported, then fed notifications signed as Paddle signs them
// (`Paddle-Signature: ts=…;h1=…`, HMAC-SHA256 of `ts:body`), which Paddle's own SDK
// (@paddle/paddle-node-sdk) verifies. The SDKs, the app and the database are real; the one stand-in
// is Paddle's API, which the recipe asks for the customer's email: a local HTTP server answering
// `GET /customers/{id}` as Paddle does, reached by sending the SDK's requests for
// https://api.paddle.com to it instead.
import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'pdl_ntfset_01recipe_ABCDEFGHIJKLMNOPQRSTUVWX'
const API_KEY = 'pdl_sdbx_apikey_01recipe_not_a_real_key'
const PADDLE_API = 'https://api.paddle.com'

/** The ```ts block under "### Paddle" in the "## Payment webhooks" section of sdk/README.md. */
function recipe(): string {
  const readme = readFileSync(`${ROOT}/sdk/README.md`, 'utf8')
  const section = readme.slice(readme.indexOf('## Payment webhooks'))
  const paddlePart = section.slice(section.indexOf('### Paddle'))
  const code = /```ts\n([\s\S]*?)```/.exec(paddlePart)?.[1]
  if (!code) throw new Error('no Paddle recipe in sdk/README.md')
  return code
}

/** Paddle's customers, as its API returns them; and every request the API stand-in was sent. */
const customers = new Map<string, string>()
const apiCalls: { path: string; authorization: string | undefined }[] = []

/** Paddle's API for `GET /customers/{id}`: the entity in `data`, or Paddle's error shape. */
function paddleApi(): Server {
  return createServer((req, res) => {
    apiCalls.push({ path: req.url ?? '', authorization: req.headers.authorization })
    const id = /^\/customers\/([^/?]+)$/.exec(req.url ?? '')?.[1]
    const email = id && customers.get(id)
    const meta = { request_id: crypto.randomUUID() }
    res.setHeader('content-type', 'application/json')
    if (req.method !== 'GET' || req.headers.authorization !== `bearer ${API_KEY}` || !email) {
      res.statusCode = 404
      res.end(
        JSON.stringify({
          error: {
            type: 'request_error',
            code: 'entity_not_found',
            detail: `Entity ${id ?? ''} not found`,
            documentation_url: 'https://developer.paddle.com/v1/errors/shared/entity_not_found',
          },
          meta,
        }),
      )
      return
    }
    const data = {
      id,
      name: null,
      email,
      marketing_consent: false,
      status: 'active',
      custom_data: null,
      locale: 'en',
      created_at: '2026-09-01T10:00:00.000000Z',
      updated_at: '2026-09-01T10:00:00.000000Z',
      import_meta: null,
    }
    res.end(JSON.stringify({ data, meta }))
  })
}

const t = useTestApp({ listen: true })
let api: Server
let seeded: Awaited<ReturnType<typeof seedAccount>>
let POST: (req: Request) => Promise<Response>

beforeAll(async () => {
  seeded = await seedAccount(t.db)
  process.env.TINYCRM_URL = t.baseUrl
  api = paddleApi()
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  const realFetch = globalThis.fetch
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input)
    return url.startsWith(`${PADDLE_API}/`)
      ? realFetch(apiUrl + url.slice(PADDLE_API.length), init)
      : realFetch(input, init)
  })
  process.env.TINYCRM_API_KEY = seeded.projects[0]!.key
  process.env.PADDLE_API_KEY = API_KEY
  process.env.PADDLE_WEBHOOK_SECRET = SECRET
  const dir = `${ROOT}/test-artifacts`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/paddle-recipe-${process.pid}.ts`
  writeFileSync(file, recipe())
  ;({ POST } = (await import(/* @vite-ignore */ file)) as { POST: typeof POST })
})
afterAll(async () => {
  vi.unstubAllGlobals()
  await new Promise((resolve) => api.close(resolve))
})

/** `Paddle-Signature` as Paddle sends it: the time of sending, and HMAC-SHA256 of `ts:body`. */
function paddleSignature(body: string, secret = SECRET, ts = Math.floor(Date.now() / 1000)) {
  const h1 = createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex')
  return `ts=${ts};h1=${h1}`
}

async function post(body: string, signature = paddleSignature(body)) {
  const res = await POST(
    new Request('https://app.example/api/webhooks/paddle', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'paddle-signature': signature },
      body,
    }),
  )
  return { status: res.status, text: await res.text() }
}

/** A subscription as Paddle's notifications carry it (API version 1). */
function subscription(customerId: string, status: string) {
  const at = '2026-09-01T10:00:00.000000Z'
  const cycle = { interval: 'month', frequency: 1 }
  return {
    id: `sub_01${customerId.slice(-6)}`,
    status,
    customer_id: customerId,
    address_id: 'add_01recipe',
    business_id: null,
    currency_code: 'USD',
    created_at: at,
    updated_at: at,
    started_at: at,
    first_billed_at: status === 'trialing' ? null : at,
    next_billed_at: status === 'canceled' ? null : '2026-10-01T10:00:00.000000Z',
    paused_at: status === 'paused' ? at : null,
    canceled_at: status === 'canceled' ? at : null,
    discount: null,
    collection_mode: 'automatic',
    billing_details: null,
    current_billing_period: { starts_at: at, ends_at: '2026-10-01T10:00:00.000000Z' },
    billing_cycle: cycle,
    scheduled_change: null,
    items: [
      {
        status: 'active',
        quantity: 1,
        recurring: true,
        created_at: at,
        updated_at: at,
        previously_billed_at: null,
        next_billed_at: null,
        trial_dates: null,
        price: {
          id: 'pri_01recipe',
          product_id: 'pro_01recipe',
          name: 'Pro monthly',
          description: 'Pro, billed monthly',
          type: 'standard',
          billing_cycle: cycle,
          trial_period: null,
          tax_mode: 'account_setting',
          unit_price: { amount: '2900', currency_code: 'USD' },
          unit_price_overrides: [],
          quantity: { minimum: 1, maximum: 1 },
          status: 'active',
          custom_data: null,
          import_meta: null,
          created_at: at,
          updated_at: at,
        },
        product: null,
      },
    ],
    custom_data: null,
    import_meta: null,
  }
}

let n = 0
/** A notification body: the event, with its id, type and the time it happened. */
function notification(eventType: string, data: object, occurredAt: string) {
  n += 1
  return JSON.stringify({
    event_id: `evt_01recipe${String(n).padStart(6, '0')}`,
    event_type: eventType,
    occurred_at: occurredAt,
    notification_id: `ntf_01recipe${String(n).padStart(6, '0')}`,
    data,
  })
}

/** The event types Paddle sends a subscription in each status with. */
const EVENT_OF: Record<string, string> = {
  trialing: 'subscription.trialing',
  active: 'subscription.activated',
  past_due: 'subscription.past_due',
  paused: 'subscription.paused',
  canceled: 'subscription.canceled',
}

async function relation(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['r.customer_id', 'r.status', 'r.params'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
}

async function changesOf(customerId: number) {
  return t.db
    .selectFrom('relation_changes')
    .select(['field', 'key', 'old_value', 'new_value'])
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute()
}

describe("sdk/README.md's Paddle recipe", () => {
  it("maps Paddle's five subscription statuses, asking Paddle's API for the email", async () => {
    customers.set('ctm_01recipe000001', 'alex@example.com')
    apiCalls.length = 0
    const expected: [string, string][] = [
      ['trialing', 'trial'],
      ['active', 'paid'],
      ['past_due', 'paid'],
      ['paused', 'churned'],
      ['active', 'paid'],
      ['canceled', 'churned'],
    ]
    for (const [i, [status, tinycrm]] of expected.entries()) {
      const body = notification(
        EVENT_OF[status]!,
        subscription('ctm_01recipe000001', status),
        `2026-09-0${i + 1}T10:00:00.123456Z`,
      )
      expect(await post(body), status).toEqual({ status: 200, text: 'ok' })
      const row = await relation('alex@example.com')
      expect(row?.status, status).toBe(tinycrm)
      expect(row?.params).toEqual({ plan: 'Pro monthly', paddle_status: status })
    }
    expect(apiCalls).toEqual(
      expected.map(() => ({
        path: '/customers/ctm_01recipe000001',
        authorization: `bearer ${API_KEY}`,
      })),
    )
  })

  it('answers 400 to a bad, forged or stale signature, and writes nothing', async () => {
    customers.set('ctm_01recipe000002', 'kim@example.com')
    apiCalls.length = 0
    const body = notification(
      'subscription.activated',
      subscription('ctm_01recipe000002', 'active'),
      '2026-09-10T10:00:00.000000Z',
    )
    const now = Math.floor(Date.now() / 1000)
    const attempts = [
      paddleSignature(body, 'pdl_ntfset_01someone_else'),
      paddleSignature(body.replace('"active"', '"paused"')), // a body changed after signing
      paddleSignature(body, SECRET, now - 60), // replayed a minute later (Paddle allows 5 s)
      `ts=${now}`,
      '',
    ]
    for (const signature of attempts) {
      expect(await post(body, signature), signature).toEqual({
        status: 400,
        text: 'bad signature',
      })
    }
    expect(apiCalls).toEqual([])
    expect(await relation('kim@example.com')).toBeUndefined()
    expect((await post(body)).status).toBe(200)
    expect((await relation('kim@example.com'))?.status).toBe('paid')
  })

  it('keeps the newer status when an older event arrives late', async () => {
    customers.set('ctm_01recipe000003', 'sam@example.com')
    const paid = notification(
      'subscription.activated',
      subscription('ctm_01recipe000003', 'active'),
      '2026-09-20T20:00:00.000002Z',
    )
    const trialEarlier = notification(
      'subscription.trialing',
      subscription('ctm_01recipe000003', 'trialing'),
      '2026-09-20T19:00:00.000001Z',
    )
    expect((await post(paid)).status).toBe(200)
    expect((await post(trialEarlier)).status).toBe(200)
    const row = await relation('sam@example.com')
    expect(row).toMatchObject({
      status: 'paid',
      params: { plan: 'Pro monthly', paddle_status: 'active' },
    })
    expect(await changesOf(row!.customer_id)).toEqual([
      { field: 'status', key: null, old_value: null, new_value: 'paid' },
      { field: 'param', key: 'plan', old_value: null, new_value: 'Pro monthly' },
      { field: 'param', key: 'paddle_status', old_value: null, new_value: 'active' },
    ])
  })

  it('answers 200 to a duplicate delivery (signed anew, as Paddle retries), which changes nothing', async () => {
    customers.set('ctm_01recipe000004', 'lee@example.com')
    const body = notification(
      'subscription.past_due',
      subscription('ctm_01recipe000004', 'past_due'),
      '2026-09-25T10:00:00.000000Z',
    )
    expect(await post(body)).toEqual({ status: 200, text: 'ok' })
    const first = await relation('lee@example.com')
    const history = await changesOf(first!.customer_id)
    expect(await post(body)).toEqual({ status: 200, text: 'ok' })
    expect(await relation('lee@example.com')).toEqual(first)
    expect(await changesOf(first!.customer_id)).toEqual(history)
    expect(first).toMatchObject({ status: 'paid', params: { paddle_status: 'past_due' } })
  })

  it('answers 200 to events it does not use', async () => {
    const body = notification(
      'customer.updated',
      {
        id: 'ctm_01recipe000005',
        name: 'Ann',
        email: 'ann@example.com',
        marketing_consent: false,
        status: 'active',
        custom_data: null,
        locale: 'en',
        created_at: '2026-09-01T10:00:00.000000Z',
        updated_at: '2026-09-26T10:00:00.000000Z',
        import_meta: null,
      },
      '2026-09-26T10:00:00.000000Z',
    )
    expect(await post(body)).toEqual({ status: 200, text: 'ignored' })
  })
})
