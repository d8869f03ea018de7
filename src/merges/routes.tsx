// Dashboard routes for merge, undo and delete (signed in): /customers/:id/manage (the page),
// POST /customers/:id/merge, POST /customers/:id/delete, POST /merges/:id/undo. Each post answers
// 303 with a message saying what happened (a merge's carries its Undo button), or, refused, 303 to
// the manage page saying why at the form: a reload or Back repeats nothing. The store functions
// scope everything to the user's account: another account's ids answer 404.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { redirectRefused, redirectWithFlash } from '../middleware/flash/index.js'
import { refusalOf } from '../lib/flash.js'
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

const managePath = (id: number) => `/customers/${id}/manage`

/** The manage page, with the refusal of the post that redirected here, if one did. */
async function managePage(c: Ctx, id: number) {
  const customer = await findCustomer(c, { id })
  if (!customer) throw new ApiError('not_found', 'No such customer in your account')
  const merges = await listMerges(c.var.db, user(c).accountId, id)
  const page = (
    <ManageCustomerPage
      customer={customer}
      merges={merges}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      error={refusalOf(c.var.flash, 'undo')?.message}
      merge={refusalOf(c.var.flash, 'merge')}
      delete={refusalOf(c.var.flash, 'delete')}
    />
  )
  return renderPage(c, page)
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
    const refuse = (message: string) =>
      redirectRefused(c, managePath(id), message, {
        form: 'merge',
        field: 'other',
        draft: { other: typed.slice(0, 254), keep: field('keep') === 'other' ? 'other' : 'this' },
      })
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
      return refuse(error)
    }
    if (other.id === id) return refuse('That is this customer.')
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
      return redirectRefused(c, managePath(merge.survivor_id), `Cannot undo: ${err.message}.`, {
        form: 'undo',
      })
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
    const typed = field('confirm') ?? ''
    if (normaliseEmail(typed) !== customer.email) {
      return redirectRefused(
        c,
        managePath(id),
        'Type the customer’s email exactly to confirm the deletion.',
        { form: 'delete', field: 'confirm', draft: { confirm: typed.slice(0, 254) } },
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
