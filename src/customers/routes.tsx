// The customers pages: the table (GET /customers, a full page or, for htmx, the #customers
// section), what the filter builder offers (GET /customers/fields), one customer (GET
// /customers/:id, POST …/name) and a customer's drawer (GET /customers/:id/panel); the saved
// views under /customers/views (src/saved-views/routes.tsx). Every query is scoped to the
// signed-in account: another account's customer answers 404. The table sends two statements
// (rows, summary) after the session's; the drawer one.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { refusalOf } from '../lib/flash.js'
import { redirectRefused } from '../middleware/flash/index.js'
import { storableText } from '../lib/text.js'
import { formFields, idParam } from '../lib/http.js'
import { renderFragment, renderPage } from '../lib/render.js'
import { CustomerHeader, CustomerPage } from '../../views/customers/customer.js'
import { CustomerDrawer } from '../../views/customers/drawer.js'
import type { Refused } from '../../views/ui/elements.js'
import {
  CustomersPage,
  CustomersSection,
  type CustomersViewProps,
} from '../../views/customers/page.js'
import { backHref, customerHref, customersUrl } from '../../views/customers/urls.js'
import { checkFilterProjects, parseCustomerFilter } from './filter.js'
import { canonicalQuery, type CustomerFilter } from './filter-syntax.js'
import { listProjects } from '../projects/store.js'
import { getCustomer, renameCustomer, survivorOf } from './customer.js'
import { customerHistory } from './history.js'
import { filterFields } from './fields.js'
import { customersPage } from './query.js'
import { savedViewRoutes } from '../saved-views/routes.js'

type Ctx = Context<HonoEnv>

const user = sessionUser

/** An htmx request that swaps a part of the page. History restores (back button after a push)
 *  ask for the whole page, as does a request without htmx. */
function wantsFragment(c: Ctx): boolean {
  return (
    c.req.header('HX-Request') === 'true' &&
    c.req.header('HX-History-Restore-Request') !== 'true' &&
    c.req.header('HX-Request-Type') !== 'full'
  )
}

const noCustomer = () => new ApiError('not_found', 'No such customer in your account')

/** The URL people share: a GET form sends every field, so empty ones (and the default sort) are
 *  dropped, and it is written readable. Undefined when the request already is that URL. */
function canonicalUrl(url: URL): string | undefined {
  const canonical = customersUrl(canonicalQuery(url.searchParams))
  return canonical === url.pathname + url.search ? undefined : canonical
}

/** `open=42` (a customer's drawer) or `open=42.app-a` (with that project in focus). */
function openParam(value: string | null): CustomersViewProps['open'] {
  const m = /^(\d{1,15})(?:\.([a-z0-9-]+))?$/.exec(value ?? '')
  return m ? { customerId: Number(m[1]), slug: m[2] } : undefined
}

async function customersList(c: Ctx) {
  const url = new URL(c.req.url)
  const canonical = canonicalUrl(url)
  if (canonical) {
    // Without htmx: one redirect to the short URL. With htmx: answer now, push the short URL.
    if (c.req.header('HX-Request') !== 'true') return c.redirect(canonical, 303)
    c.header('HX-Push-Url', canonical)
  }
  const query = canonicalQuery(url.searchParams)
  // `open` is view state (whose drawer is open), not part of the filter.
  const filterQuery = new URLSearchParams(query)
  filterQuery.delete('open')
  const props: CustomersViewProps = {
    query,
    projects: [],
    open: openParam(query.get('open')),
    csrfToken: c.var.csrfToken,
    saveRefused: refusalOf(c.var.flash, 'save'),
  }
  let filter: CustomerFilter | undefined
  try {
    filter = parseCustomerFilter(filterQuery)
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
    props.error = err.message.replace(/^Invalid filter: /, '')
  }
  if (filter) {
    const data = await customersPage(c.var.db, user(c).accountId, filter, {
      exactUpTo: c.var.config.exactCountUpTo,
    })
    props.projects = data.summary.projects
    // The page's summary lists the account's projects: checked after the one query, not before.
    try {
      checkFilterProjects(
        filter,
        props.projects.map((p) => p.slug),
      )
      props.data = data
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      props.error = err.message
    }
  } else {
    props.projects = await listProjects(c.var.db, user(c).accountId)
  }
  const status = props.error ? 400 : 200
  c.header('Vary', 'HX-Request')
  if (wantsFragment(c)) return renderFragment(c, <CustomersSection {...props} />, status)
  return renderPage(c, <CustomersPage {...props} userEmail={user(c).email} />, status)
}

/** The customer page's way back: the table's query it was opened from (`back=`). */
const backParam = (c: Ctx) => c.req.query('back') ?? ''

async function customerShow(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const customer = await getCustomer(c.var.db, user(c).accountId, id)
  if (!customer) {
    // The page of a customer merged into another (a bookmark, an old link): the one it is now.
    const survivor = await survivorOf(c.var.db, user(c).accountId, { id })
    if (!survivor) throw noCustomer()
    return c.redirect(customerHref(survivor.id, new URLSearchParams(backParam(c))), 303)
  }
  const history = await customerHistory(c.var.db, user(c).accountId, id)
  return renderPage(
    c,
    <CustomerPage
      customer={customer}
      history={history}
      backHref={backHref(backParam(c))}
      back={backParam(c)}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      saved={c.req.query('saved') === '1'}
      renameRefused={refusalOf(c.var.flash, 'rename')}
    />,
  )
}

/** The one rule for a customer's name: at most 200 characters, text Postgres can store (empty
 *  clears it). */
function checkCustomerName(name: string) {
  if (name.length > 200) {
    throw new ApiError('validation_failed', 'A name is at most 200 characters', [
      { path: 'name', message: 'at most 200 characters' },
    ])
  }
  storableText('name', name)
}

async function customerRename(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const name = (await formFields(c))('name') ?? ''
  try {
    checkCustomerName(name)
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    return refuseRename(c, id, { message: err.message, field: 'name', draft: { name } })
  }
  const { accountId } = user(c)
  if (!(await renameCustomer(c.var.db, accountId, id, name))) {
    // Merged meanwhile (a page left open): the name is not saved on a row no page shows. The
    // customer it went into opens instead, its rename form holding the name typed and saying why.
    const survivor = await survivorOf(c.var.db, accountId, { id })
    if (!survivor) throw noCustomer()
    return refuseRename(c, survivor.id, {
      message: `This customer was merged into ${survivor.email}: the name was not saved. Save it here?`,
      field: 'name',
      draft: { name },
    })
  }
  if (c.req.header('HX-Request') === 'true') {
    // In place: the header again, with the new name.
    const customer = await getCustomer(c.var.db, accountId, id)
    if (!customer) throw noCustomer()
    return renderFragment(
      c,
      <CustomerHeader customer={customer} csrfToken={c.var.csrfToken} back={backParam(c)} saved />,
    )
  }
  const back = backParam(c)
  return c.redirect(
    `/customers/${id}?saved=1${back ? `&back=${encodeURIComponent(back)}` : ''}`,
    303,
  )
}

/** A name refused, nothing written: htmx gets the header again in place, the form open at the
 *  name typed and saying why; a plain form 303 to the customer's page, which shows the same. A
 *  customer other than the one posted to (the one it was merged into) is a page of its own, for
 *  htmx too (HX-Redirect). */
async function refuseRename(c: Ctx, id: number, refused: Refused) {
  const back = backParam(c)
  const htmx = c.req.header('HX-Request') === 'true'
  if (!htmx || id !== idParam(c, 'id', 'customer')) {
    const page = `/customers/${id}${back ? `?back=${encodeURIComponent(back)}` : ''}`
    const res = await redirectRefused(c, page, refused.message, {
      form: 'rename',
      field: refused.field,
      draft: refused.draft,
    })
    return htmx ? c.body(null, 200, { 'HX-Redirect': page }) : res
  }
  const customer = await getCustomer(c.var.db, user(c).accountId, id)
  if (!customer) throw noCustomer()
  const header = (
    <CustomerHeader customer={customer} csrfToken={c.var.csrfToken} back={back} refused={refused} />
  )
  return renderFragment(c, header, 400)
}

/** A customer's drawer beside the table (htmx); a browser without it gets the table with it. */
async function customerPanel(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const focus = c.req.query('project')
  const query = new URLSearchParams(backParam(c))
  if (!wantsFragment(c)) {
    return c.redirect(customersUrl(query, { open: focus ? `${id}.${focus}` : String(id) }), 303)
  }
  const customer = await getCustomer(c.var.db, user(c).accountId, id)
  if (!customer) throw noCustomer()
  return renderFragment(c, <CustomerDrawer customer={customer} query={query} focus={focus} />)
}

async function fields(c: Ctx) {
  c.header('Cache-Control', 'no-store')
  return c.json(await filterFields(c.var.db, user(c).accountId))
}

export function customerRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())
  app.get('/', customersList)
  app.get('/fields', fields)
  app.route('/views', savedViewRoutes())
  app.get('/:id{[0-9]+}', customerShow)
  app.post('/:id{[0-9]+}/name', customerRename)
  app.get('/:id{[0-9]+}/panel', customerPanel)
  return app
}
