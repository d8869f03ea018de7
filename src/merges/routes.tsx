// Dashboard routes for merge, undo and delete (signed in): /customers/:id/manage (the page),
// POST /customers/:id/merge, POST /customers/:id/delete, POST /merges/:id/undo. Each post answers
// 303 with a message saying what happened (a merge's carries its Undo button); a reload repeats
// nothing. The store functions scope everything to the user's account: another account's ids
// answer 404.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { redirectWithFlash } from '../middleware/flash/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { renderPage } from '../lib/render.js'
import { normaliseEmail } from '../accounts/store.js'
import { ManageCustomerPage } from '../../views/merge.js'
import { findCustomer as findAccountCustomer, survivorOf } from '../customers/customer.js'
import { findMerge } from './lookup.js'
import { deleteCustomer } from './erase.js'
import { listMerges, mergeCustomers, undoMerge } from './store.js'

type Ctx = Context<HonoEnv>
const user = sessionUser
const actor = (c: Ctx) => `user:${user(c).userId}`

const findCustomer = (c: Ctx, where: { id: number } | { email: string }) =>
  findAccountCustomer(c.var.db, user(c).accountId, where)

async function managePage(
  c: Ctx,
  id: number,
  extra: { error?: string; draftOther?: string } = {},
  status: 200 | 400 | 404 | 409 = 200,
) {
  const customer = await findCustomer(c, { id })
  if (!customer) throw new ApiError('not_found', 'No such customer in your account')
  const merges = await listMerges(c.var.db, user(c).accountId, id)
  const page = (
    <ManageCustomerPage
      customer={customer}
      merges={merges}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      {...extra}
    />
  )
  return renderPage(c, page, status)
}

export function mergeDashboardRoutes() {
  const app = new Hono<HonoEnv>()

  app.get('/customers/:id{[0-9]+}/manage', requireUser(), async function manage(c) {
    return managePage(c, idParam(c, 'id', 'customer'))
  })

  app.post('/customers/:id{[0-9]+}/merge', requireUser(), async function merge(c) {
    const id = idParam(c, 'id', 'customer')
    const field = await formFields(c)
    const typed = field('other') ?? ''
    const otherEmail = normaliseEmail(typed)
    const [self, other] = await Promise.all([
      findCustomer(c, { id }),
      otherEmail ? findCustomer(c, { email: otherEmail }) : undefined,
    ])
    if (!self) throw new ApiError('not_found', 'No such customer in your account')
    if (!other) {
      // An email merged into a customer earlier: say which one it belongs to now.
      const target = otherEmail
        ? await survivorOf(c.var.db, user(c).accountId, { email: otherEmail })
        : undefined
      const error = !target
        ? `No customer with the email ${otherEmail || '(empty)'} in your account.`
        : target.id === id
          ? `${otherEmail} is already merged into this customer.`
          : `${otherEmail} was merged into ${target.email}: merge with that email instead.`
      return managePage(c, id, { error, draftOther: typed }, 400)
    }
    if (other.id === id) {
      return managePage(c, id, { error: 'That is this customer.', draftOther: typed }, 400)
    }
    const [survivor, absorbed] = field('keep') === 'other' ? [other, self] : [self, other]
    const { mergeId } = await mergeCustomers(c.var.db, {
      accountId: user(c).accountId,
      survivorId: survivor.id,
      absorbedId: absorbed.id,
      actor: actor(c),
    })
    return redirectWithFlash(c, `/customers/${survivor.id}`, {
      message: `Merged ${absorbed.email} into ${survivor.email}.`,
      undo: `/merges/${mergeId}/undo`,
    })
  })

  app.post('/merges/:id{[0-9]+}/undo', requireUser(), async function undo(c) {
    const mergeId = idParam(c, 'id', 'merge')
    const merge = await findMerge(c.var.db, user(c).accountId, mergeId)
    if (!merge) throw new ApiError('not_found', 'No such merge in your account')
    try {
      await undoMerge(c.var.db, { accountId: user(c).accountId, mergeId, actor: actor(c) })
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'conflict') throw err
      return managePage(c, merge.survivor_id, { error: `Cannot undo: ${err.message}.` }, 409)
    }
    return redirectWithFlash(c, `/customers/${merge.survivor_id}`, {
      message: `Undid the merge: ${merge.absorbed_email} is a customer of its own again.`,
    })
  })

  app.post('/customers/:id{[0-9]+}/delete', requireUser(), async function remove(c) {
    const id = idParam(c, 'id', 'customer')
    const customer = await findCustomer(c, { id })
    if (!customer) throw new ApiError('not_found', 'No such customer in your account')
    const field = await formFields(c)
    if (normaliseEmail(field('confirm') ?? '') !== customer.email) {
      return managePage(
        c,
        id,
        { error: 'Type the customer’s email exactly to confirm the deletion.' },
        400,
      )
    }
    await deleteCustomer(c.var.db, {
      accountId: user(c).accountId,
      customerId: id,
      actor: actor(c),
    })
    return redirectWithFlash(c, '/customers', {
      message: `Deleted ${customer.email} from every project, with its aliases and merge history.`,
      tone: 'danger',
    })
  })

  return app
}
