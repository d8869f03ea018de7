// Billing over HTTP: the public webhook route the providers post to, and the account API that
// connects, lists, sets the signing secret of and disconnects them (`Authorization: Bearer
// tcrm_acct_…`).
//
// POST /v1/billing/webhooks/:id — no session, no CSRF, no key: the connection id in the URL picks
// the signing secret, and the signature is the proof. The raw body is verified before it is
// parsed. Answers: 404 unknown connection; 400 bad or stale signature, no secret yet, not JSON, or
// a value that cannot be stored (nothing written: the provider shows the reason); 413 over 1 MB; 200 applied, ignored, waiting
// or a duplicate (so the provider stops retrying); 503 when the database is unavailable (so it
// retries).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { jsonBody } from '../lib/http.js'
import { publicBaseUrl } from '../lib/public-url.js'
import { accountToken, type AccountTokenEnv } from '../middleware/account-token/index.js'
import { bodyLimit } from '../middleware/body-limit/index.js'
import { findProject } from '../projects/store.js'
import { applyBillingEvent } from './apply.js'
import {
  billingOverview,
  createConnection,
  deleteConnection,
  findConnection,
  changeConnection,
  webhookPath,
} from './connections.js'
import { PROVIDERS, type BillingEvent, type Json, type Provider } from './events.js'
import { mapPaddleEvent } from './paddle.js'
import { productFilter, type ProductFilter } from './products.js'
import { mapStripeEvent } from './stripe.js'
import { SIGNATURE_HEADER, verifySignature } from './verify.js'

/** Stripe's largest events (an invoice with many lines) stay well under this. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024

const MAPPERS: Record<Provider, (event: Json, filter: ProductFilter) => BillingEvent | null> = {
  stripe: mapStripeEvent,
  paddle: mapPaddleEvent,
}

const noConnection = () =>
  new ApiError('not_found', 'No billing connection with this id: it was deleted, or never existed')

/** The webhook: verify, map, apply once. */
export function billingWebhookRoutes() {
  const app = new Hono<HonoEnv>()
  // Before the API's default body limit (the first on a request's way decides).
  app.use('/billing/webhooks/:id', bodyLimit(WEBHOOK_BODY_LIMIT))
  app.post('/billing/webhooks/:id', async function billingWebhook(c) {
    const connection = await findConnection(c.var.db, c.req.param('id'))
    if (!connection) throw noConnection()
    const header = SIGNATURE_HEADER[connection.provider]
    if (!connection.signing_secret) {
      const reason = "this connection has no signing secret yet: paste it on the project's page"
      throw new ApiError('validation_failed', `Signature refused: ${reason}`, [
        { path: header, message: reason },
      ])
    }
    const body = new Uint8Array(await c.req.arrayBuffer())
    const verdict = await verifySignature(
      connection.provider,
      body,
      c.req.header(header),
      connection.signing_secret,
    )
    if (!verdict.ok) {
      throw new ApiError('validation_failed', `Signature refused: ${verdict.reason}`, [
        { path: header, message: verdict.reason },
      ])
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder().decode(body))
    } catch {
      throw new ApiError('invalid_json', 'The signed body is not JSON')
    }
    const event =
      typeof parsed === 'object' && parsed !== null
        ? MAPPERS[connection.provider](parsed as Json, productFilter(connection.products))
        : null
    // Ignored: a type TinyCRM does not read, or (with a product list) another product's event.
    if (!event) return c.json({ received: true, ignored: true })
    const outcome = await applyBillingEvent(c.var.db, connection, event)
    if (!outcome.connected) throw noConnection()
    return c.json({
      received: true,
      duplicate: outcome.duplicate,
      waiting: outcome.waiting,
      customerId: outcome.customerId,
    })
  })
  return app
}

type Ctx = Context<AccountTokenEnv>

const signingSecret = z.string({ error: 'signingSecret must be a string' })
// Checked per provider by checkedProducts() (./products.ts), which names the field.
const products = z.optional(
  z.array(z.unknown(), { error: 'products must be an array of product id strings' }),
)
const connectBody = z.strictObject({
  provider: z.enum(PROVIDERS, { error: `provider must be one of ${PROVIDERS.join(', ')}` }),
  signingSecret: z.optional(signingSecret),
  products,
})
const changeBody = z.strictObject({ signingSecret: z.optional(signingSecret), products })

async function projectOf(c: Ctx) {
  const project = await findProject(c.var.db, c.var.accountId, c.req.param('project') ?? '')
  if (!project) throw new ApiError('not_found', 'No such project in this account')
  return project
}

export const webhookUrl = <E extends HonoEnv>(c: Context<E>, id: string) =>
  publicBaseUrl(c, c.var.config.publicUrl) + webhookPath(id)

/** The account API's billing routes, under /v1/projects/{id or slug}/billing. */
export function billingApiRoutes() {
  const app = new Hono<AccountTokenEnv>()

  app.post(
    '/projects/:project/billing',
    accountToken(),
    jsonBody(connectBody),
    async function connectBillingApi(c) {
      const body = c.req.valid('json')
      const project = await projectOf(c)
      const created = await createConnection(c.var.db, {
        accountId: c.var.accountId,
        projectId: project.id,
        provider: body.provider,
        signingSecret: body.signingSecret,
        products: body.products,
      })
      if (!created) throw new ApiError('not_found', 'No such project in this account')
      return c.json({ ...created, url: webhookUrl(c, created.id) }, 201)
    },
  )

  // Sets the secret of a connection made without one, or replaces it (Stripe's "roll secret");
  // and/or replaces its product list (`[]`: every product again).
  app.put(
    '/projects/:project/billing/:connection',
    accountToken(),
    jsonBody(changeBody),
    async function changeConnectionApi(c) {
      const { signingSecret, products } = c.req.valid('json')
      if (signingSecret === undefined && products === undefined) {
        const message = 'give signingSecret, products or both'
        throw new ApiError('validation_failed', message, [
          { path: 'signingSecret', message },
          { path: 'products', message },
        ])
      }
      const project = await projectOf(c)
      const id = c.req.param('connection')
      // Both checked before either is written, and written in one statement.
      const changed = await changeConnection(c.var.db, c.var.accountId, project.id, id, {
        products,
        signingSecret,
      })
      if (!changed) throw new ApiError('not_found', 'No such billing connection in this project')
      const listed = products === undefined ? undefined : changed.products
      return c.json({ ok: true, id, ...(listed && { products: listed }) })
    },
  )

  app.get('/projects/:project/billing', accountToken(), async function listBillingApi(c) {
    const project = await projectOf(c)
    const overview = await billingOverview(c.var.db, c.var.accountId, project.id)
    if (!overview) throw new ApiError('not_found', 'No such project in this account')
    return c.json({
      connections: overview.connections.map((k) => ({ ...k, url: webhookUrl(c, k.id) })),
      waitingEvents: overview.waitingEvents,
    })
  })

  app.delete(
    '/projects/:project/billing/:connection',
    accountToken(),
    async function disconnectBillingApi(c) {
      const project = await projectOf(c)
      const id = c.req.param('connection')
      if (!(await deleteConnection(c.var.db, c.var.accountId, project.id, id))) {
        throw new ApiError('not_found', 'No such billing connection in this project')
      }
      return c.json({ ok: true, id })
    },
  )

  return app
}
