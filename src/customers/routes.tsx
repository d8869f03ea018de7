// The customers pages: the table (GET /customers, a full page or, for htmx, the #customers
// fragment), one customer (GET /customers/:id, POST …/name) and a badge's details
// (GET /customers/:id/projects/:projectId). Every query is scoped to the signed-in account: another
// account's customer answers 404. A page sends at most two statements here (plus the session's).
import { Hono, type Context } from 'hono'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { renderFragment, renderPage } from '../lib/render.js'
import { CustomerPage, BadgeDetail } from '../../views/customers/customer.js'
import {
  CustomersPage,
  CustomersSection,
  type CustomersViewProps,
} from '../../views/customers/page.js'
import { customersUrl } from '../../views/customers/urls.js'
import { checkFilterProjects, parseCustomerFilter } from './filter.js'
import { DEFAULT_SORT, sortParam, type CustomerFilter } from './filter-syntax.js'
import { listProjects } from '../projects/store.js'
import { getCustomer, renameCustomer } from './customer.js'
import { customerHistory } from './history.js'
import { customersPage } from './query.js'

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
 *  dropped. Undefined when the request already is that URL. */
function canonicalUrl(query: URLSearchParams): string | undefined {
  const clean = new URLSearchParams()
  for (const [k, v] of query.entries()) {
    if (v.trim() === '' || (k === 'sort' && v === sortParam(DEFAULT_SORT))) continue
    clean.append(k, v)
  }
  return clean.toString() === query.toString() ? undefined : customersUrl(clean)
}

async function customersList(c: Ctx) {
  const query = new URL(c.req.url).searchParams
  const canonical = canonicalUrl(query)
  if (canonical) {
    // Without htmx: one redirect to the short URL. With htmx: answer now, push the short URL.
    if (c.req.header('HX-Request') !== 'true') return c.redirect(canonical, 303)
    c.header('HX-Push-Url', canonical)
  }
  // `open` is view state (which badge shows its details), not part of the filter.
  const openMatch = /^(\d{1,15})\.([a-z0-9-]+)$/.exec(query.get('open') ?? '')
  const filterQuery = new URLSearchParams(query)
  filterQuery.delete('open')
  const props: CustomersViewProps = {
    query,
    projects: [],
    open: openMatch ? { customerId: Number(openMatch[1]), slug: openMatch[2]! } : undefined,
  }
  let filter: CustomerFilter | undefined
  try {
    filter = parseCustomerFilter(filterQuery)
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
    props.error = err.message.replace(/^Invalid filter: /, '')
  }
  if (filter) {
    const data = await customersPage(c.var.db, user(c).accountId, filter)
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
  return renderPage(
    c,
    <CustomersPage {...props} userEmail={user(c).email} csrfToken={c.var.csrfToken} />,
    status,
  )
}

async function customerShow(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const customer = await getCustomer(c.var.db, user(c).accountId, id)
  if (!customer) throw noCustomer()
  const history = await customerHistory(c.var.db, user(c).accountId, id)
  return renderPage(
    c,
    <CustomerPage
      customer={customer}
      history={history}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      saved={c.req.query('saved') === '1'}
    />,
  )
}

async function customerRename(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const name = (await formFields(c))('name') ?? ''
  if (name.length > 200) {
    throw new ApiError('validation_failed', 'A name is at most 200 characters', [
      { path: 'name', message: 'at most 200 characters' },
    ])
  }
  if (!(await renameCustomer(c.var.db, user(c).accountId, id, name))) throw noCustomer()
  return c.redirect(`/customers/${id}?saved=1`, 303)
}

/** Where the details' close link goes: the table the badge was clicked in, without `open`. */
function closeHref(c: Ctx): string {
  try {
    const current = new URL(c.req.header('HX-Current-URL') ?? '')
    if (current.pathname === '/customers') {
      return customersUrl(current.searchParams, { open: null })
    }
  } catch {
    // no usable header: fall back to the unfiltered table
  }
  return '/customers'
}

async function badgeDetail(c: Ctx) {
  const id = idParam(c, 'id', 'customer')
  const projectId = idParam(c, 'projectId', 'project')
  const customer = await getCustomer(c.var.db, user(c).accountId, id, projectId)
  const relation = customer?.relations[0]
  if (!customer || !relation) throw noCustomer()
  if (!wantsFragment(c)) return c.redirect(`/customers/${id}#project-${relation.project.slug}`, 303)
  return renderFragment(
    c,
    <BadgeDetail customerId={id} relation={relation} closeHref={closeHref(c)} />,
  )
}

export function customerRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())
  app.get('/', customersList)
  app.get('/:id{[0-9]+}', customerShow)
  app.post('/:id{[0-9]+}/name', customerRename)
  app.get('/:id{[0-9]+}/projects/:projectId{[0-9]+}', badgeDetail)
  return app
}
