// Saved views over HTTP: the account API (`/v1/views`, account tokens) and the dashboard's rail
// (`/customers/views`, a session): list, create, rename or refilter, reorder, delete (the rail
// renames, moves and deletes; its refusals are shown in the rail, or, after a redirect, on the
// views page, so a plain form refused is not posted again by Back or reload; a view saved from
// the table and refused redirects back to that table, its form open at the name typed). The rail
// is its own request after the customers page, so its live counts (one statement for all views)
// never add to the table's statements: session, views with the project slugs, counts.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam, jsonBody } from '../lib/http.js'
import { renderFragment, renderPage } from '../lib/render.js'
import { accountToken, type AccountTokenEnv } from '../middleware/account-token/index.js'
import { redirectRefused } from '../middleware/flash/index.js'
import { refusalIn } from '../lib/flash.js'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { canonicalQuery, queryString } from '../customers/filter-syntax.js'
import { ViewsPage, ViewsRail, type RailProps } from '../../views/customers/rail.js'
import { customersUrl, tableQuery } from '../../views/customers/urls.js'
import { countViews } from './counts.js'
import { EXACT_COUNT_UP_TO } from '../customers/summary.js'
import { moveView, reorderViews } from './order.js'
import {
  addReadyViews,
  createView,
  deleteView,
  listViews,
  listViewsWithSlugs,
  updateView,
  type SavedView,
} from './store.js'

// Types only: the rules for a name and a query are the store's (it names each bad field).
// A missing field is said to be required, not to be of the wrong type.
const createBody = z.strictObject({
  name: z.string(),
  query: z.string({
    error: (issue) =>
      issue.input === undefined
        ? 'query is required (a string): a URL query like in=app-a:paid, or empty for every customer'
        : 'query must be a string (a URL query like in=app-a:paid)',
  }),
})
const updateBody = z.partial(createBody)
const orderBody = z.strictObject({
  ids: z.array(z.number().check(z.int()), { error: 'ids must be an array of view ids' }),
})

const viewJson = (v: SavedView) => ({
  id: v.id,
  name: v.name,
  query: v.query,
  url: `/customers${v.query ? `?${v.query}` : ''}`,
  position: v.position,
})

export function savedViewsApiRoutes() {
  const app = new Hono<AccountTokenEnv>()

  app.get('/views', accountToken(), async function listViewsApi(c) {
    return c.json({ views: (await listViews(c.var.db, c.var.accountId)).map(viewJson) })
  })

  app.post('/views', accountToken(), jsonBody(createBody), async function createViewApi(c) {
    const view = await createView(c.var.db, c.var.accountId, c.req.valid('json'))
    return c.json({ view: viewJson(view) }, 201)
  })

  app.put('/views/order', accountToken(), jsonBody(orderBody), async function orderViewsApi(c) {
    const views = await reorderViews(c.var.db, c.var.accountId, c.req.valid('json').ids)
    return c.json({ views: views.map(viewJson) })
  })

  app.patch(
    '/views/:id{[0-9]+}',
    accountToken(),
    jsonBody(updateBody),
    async function updateViewApi(c) {
      const id = idParam(c, 'id', 'saved view')
      const view = await updateView(c.var.db, c.var.accountId, id, c.req.valid('json'))
      return c.json({ view: viewJson(view) })
    },
  )

  app.delete('/views/:id{[0-9]+}', accountToken(), async function deleteViewApi(c) {
    const id = idParam(c, 'id', 'saved view')
    await deleteView(c.var.db, c.var.accountId, id)
    return c.json({ ok: true, id })
  })

  return app
}

type Ctx = Context<HonoEnv>

/** The rail's data: views, live counts, everyone's count (session + 2 statements). */
async function railProps(c: Ctx, current?: string): Promise<RailProps> {
  const { accountId } = sessionUser(c)
  const { views, slugs } = await listViewsWithSlugs(c.var.db, accountId)
  const all = { id: 0, name: '', query: '', position: 0 }
  const countedUpTo = c.var.config.exactCountUpTo ?? EXACT_COUNT_UP_TO
  const counts = await countViews(c.var.db, accountId, [all, ...views], slugs, {
    exactUpTo: countedUpTo,
  })
  const total = counts.get(0)
  counts.delete(0)
  return {
    views,
    counts,
    total: total && 'count' in total ? total.count : null,
    countedUpTo,
    current,
    canAddReady: slugs.length >= 2,
    csrfToken: c.var.csrfToken,
  }
}

/** The view the table shows: its query as a view stores it (from the htmx request's page). */
function currentQuery(c: Ctx): string | undefined {
  try {
    const url = new URL(c.req.header('HX-Current-URL') ?? '')
    if (url.pathname !== '/customers') return undefined
    return queryString(tableQuery(canonicalQuery(url.searchParams)))
  } catch {
    return undefined
  }
}

/** After a change: htmx gets the rail again, a browser the page it came from. */
async function answer(c: Ctx, fallback = '/customers/views') {
  if (c.req.header('HX-Request') === 'true') {
    return renderFragment(c, <ViewsRail {...await railProps(c, currentQuery(c))} />)
  }
  return c.redirect(fallback, 303)
}

/** A change refused, nothing written: the rail (htmx) saying why, or (a browser's plain form) 303
 *  to the views page, which says it; a refused rename comes back open, holding what was typed, to
 *  be corrected. */
async function refused(c: Ctx, error: string, renaming?: RailProps['renaming']) {
  if (c.req.header('HX-Request') === 'true') {
    return renderFragment(
      c,
      <ViewsRail {...await railProps(c, currentQuery(c))} error={error} renaming={renaming} />,
      400,
    )
  }
  return redirectRefused(c, '/customers/views', error, {
    form: renaming ? `rename-${renaming.id}` : 'save',
    field: 'name',
    draft: renaming ? { name: renaming.name.slice(0, 200) } : undefined,
  })
}

/** The views page's refusal from the post that redirected here: why, and the rename refused. */
function refusedHere(c: Ctx): Pick<RailProps, 'error' | 'renaming'> {
  const refusal = refusalIn(c.var.flash)
  const id = /^rename-([0-9]{1,15})$/.exec(refusal?.form ?? '')?.[1]
  if (!refusal) return {}
  const renaming = id ? { id: Number(id), name: refusal.draft.name ?? '' } : undefined
  return { error: refusal.message, renaming }
}

export function savedViewRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())

  app.get('/', async function viewsRail(c) {
    if (c.req.header('HX-Request') === 'true') {
      return renderFragment(c, <ViewsRail {...await railProps(c, currentQuery(c))} />)
    }
    const page = (
      <ViewsPage {...await railProps(c)} {...refusedHere(c)} userEmail={sessionUser(c).email} />
    )
    return renderPage(c, page)
  })

  app.post('/', async function saveView(c) {
    const field = await formFields(c)
    try {
      const view = await createView(c.var.db, sessionUser(c).accountId, {
        name: field('name') ?? '',
        query: field('query') ?? '',
      })
      return c.redirect(customersUrl(new URLSearchParams(view.query)), 303)
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      const message = `The view was not saved: ${err.message}`
      // Saved from the table (a plain form post): back to that table, its filter as it was, the
      // form open at the name typed and saying why, rather than off to the views page. The URL is
      // the table's canonical one: a second redirect would spend the message on the way.
      const query = field('query')
      if (query !== undefined && c.req.header('HX-Request') !== 'true') {
        const back = customersUrl(canonicalQuery(tableQuery(new URLSearchParams(query))))
        return redirectRefused(c, back, message, {
          form: 'save',
          field: err.details?.some((d) => d.path === 'name') ? 'name' : undefined,
          draft: { name: (field('name') ?? '').slice(0, 200) },
        })
      }
      return refused(c, message)
    }
  })

  app.post('/ready', async function addReady(c) {
    await addReadyViews(c.var.db, sessionUser(c).accountId)
    return answer(c, '/customers')
  })

  app.post('/:id{[0-9]+}/move', async function move(c) {
    const by = (await formFields(c))('by') === 'up' ? -1 : 1
    await moveView(c.var.db, sessionUser(c).accountId, idParam(c, 'id', 'saved view'), by)
    return answer(c)
  })

  app.post('/:id{[0-9]+}/rename', async function rename(c) {
    const name = (await formFields(c))('name') ?? ''
    const id = idParam(c, 'id', 'saved view')
    try {
      await updateView(c.var.db, sessionUser(c).accountId, id, { name })
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return refused(c, `The view was not renamed: ${err.message}`, { id, name })
    }
    return answer(c)
  })

  app.post('/:id{[0-9]+}/delete', async function remove(c) {
    await deleteView(c.var.db, sessionUser(c).accountId, idParam(c, 'id', 'saved view'))
    return answer(c)
  })

  return app
}
