// The projects pages: list and create, one project (rename, recolour, keys: rotate, add, revoke),
// delete with a confirmation, and its billing connections. Every form post does its work and
// answers 303 (Post/Redirect/Get): a reload never repeats it, and a new key reaches the project
// page once, as the redirect's flash.
// Every query is scoped to the signed-in account: another account's project id answers 404, never
// its data. A page sends at most three SQL statements; creating a project four (the list is read
// first, to warn about a name already taken).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { addProjectKey, revokeProjectKey } from './keys.js'
import { deleteProject, projectDeletionImpact } from './delete.js'
import {
  createProject,
  listProjectsWithCounts,
  projectAndKeys,
  ProjectNameTaken,
  projectWithKeysQuery,
  sameProjectName,
  updateProject,
} from './store.js'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { redirectRefused, redirectWithFlash } from '../middleware/flash/index.js'
import { refusalOf } from '../lib/flash.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { publicBaseUrl } from '../lib/public-url.js'
import { renderPage } from '../lib/render.js'
import { DeleteProjectPage } from '../../views/projects/delete.js'
import { ProjectsPage } from '../../views/projects/list.js'
import { ProjectPage, type NameTaken, type ProjectPageProps } from '../../views/projects/project.js'
import { plural } from '../../views/ui/elements.js'
import {
  billingColumns,
  createConnection,
  deleteConnection,
  overviewOf,
  parseProvider,
  changeConnection,
} from '../billing/connections.js'
import { webhookUrl } from '../billing/routes.js'

type Ctx = Context<HonoEnv>

const user = sessionUser

const notFound = () => new ApiError('not_found', 'No such project in your account')

async function showProject(
  c: Ctx,
  projectId: number,
  extra: { error?: string; nameTaken?: NameTaken; draftName?: string } = {},
  status: 200 | 400 | 409 = 200,
  billingError?: string,
) {
  // One statement: the project, its keys and its billing connections.
  const row = await projectWithKeysQuery(c.var.db, user(c).accountId, projectId)
    .select(billingColumns)
    .executeTakeFirst()
  if (!row) throw notFound()
  const { billing_connections, billing_waiting, ...project } = row
  const found = projectAndKeys(project)
  const overview = overviewOf({ billing_connections, billing_waiting })
  const connections = overview.connections.map((k) => ({ ...k, url: webhookUrl(c, k.id) }))
  // Right after connecting (the redirect carries the id): its URL and the events to select.
  const just = connections.find((k) => k.id === c.req.query('connected'))
  const billing: ProjectPageProps['billing'] = {
    connections,
    waitingEvents: overview.waitingEvents,
    connected: just && { provider: just.provider, url: just.url, hasSecret: just.hasSecret },
    error: billingError,
  }
  const page = (
    <ProjectPage
      {...found}
      {...extra}
      billing={billing}
      // The key created or rotated by the post that redirected here, shown this once.
      newKey={c.var.flash?.secret}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      baseUrl={publicBaseUrl(c, c.var.config.publicUrl)}
    />
  )
  return renderPage(c, page, status)
}

async function showList(
  c: Ctx,
  extra: { error?: string; nameTaken?: NameTaken; draftName?: string; draftColor?: string },
  status: 400 | 409,
) {
  const projects = await listProjectsWithCounts(c.var.db, user(c).accountId)
  const page = (
    <ProjectsPage
      projects={projects}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      {...extra}
    />
  )
  return renderPage(c, page, status)
}

export function projectRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())

  app.get('/', async function projectsList(c) {
    const projects = await listProjectsWithCounts(c.var.db, user(c).accountId)
    return renderPage(
      c,
      <ProjectsPage projects={projects} userEmail={user(c).email} csrfToken={c.var.csrfToken} />,
    )
  })

  app.post('/', async function projectCreate(c) {
    const field = await formFields(c)
    const name = field('name') ?? ''
    const color = field('color') || undefined
    try {
      const { project, key } = await createProject(c.var.db, {
        accountId: user(c).accountId,
        name,
        color,
        duplicate: field('duplicate') === 'ok',
      })
      return redirectWithFlash(c, `/projects/${project.id}`, {
        message: `Created ${project.name}. Copy its API key now: it is shown only this once.`,
        secret: key,
      })
    } catch (err) {
      if (err instanceof ProjectNameTaken) {
        const nameTaken = { ...err.other, draft: name.trim() }
        return showList(c, { nameTaken, draftName: name, draftColor: color }, 409)
      }
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showList(c, { error: err.message, draftName: name, draftColor: color }, 400)
    }
  })

  app.get('/:id', async function projectShow(c) {
    return showProject(c, idParam(c, 'id', 'project'))
  })

  app.post('/:id', async function projectUpdate(c) {
    const id = idParam(c, 'id', 'project')
    const field = await formFields(c)
    const name = field('name')
    try {
      const updated = await updateProject(c.var.db, user(c).accountId, id, {
        name,
        color: field('color'),
        duplicate: field('duplicate') === 'ok',
      })
      if (!updated) throw notFound()
    } catch (err) {
      if (err instanceof ProjectNameTaken) {
        const nameTaken = { ...err.other, draft: (name ?? '').trim() }
        return showProject(c, id, { nameTaken, draftName: name }, 409)
      }
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showProject(c, id, { error: err.message, draftName: name }, 400)
    }
    return redirectWithFlash(c, `/projects/${id}`, { message: 'Saved the name and colour.' })
  })

  app.post('/:id/keys', async function keyCreate(c) {
    const id = idParam(c, 'id', 'project')
    const rotate = (await formFields(c))('mode') !== 'add'
    const key = await addProjectKey(c.var.db, user(c).accountId, id, { revokeOthers: rotate })
    if (!key) throw notFound()
    const message = rotate
      ? 'Rotated the key: every older key of this project stopped working.'
      : 'Added a key: the other keys keep working until you revoke them.'
    return redirectWithFlash(c, `/projects/${id}`, {
      message: `${message} Copy the new key now: it is shown only this once.`,
      secret: key,
    })
  })

  app.post('/:id/keys/:keyId/revoke', async function keyRevoke(c) {
    const id = idParam(c, 'id', 'project')
    const keyId = idParam(c, 'keyId', 'key')
    const found = await projectWithKeysQuery(c.var.db, user(c).accountId, id).executeTakeFirst()
    const key = found && projectAndKeys(found).keys.find((k) => k.id === keyId)
    if (!key || !(await revokeProjectKey(c.var.db, user(c).accountId, id, keyId))) throw notFound()
    return redirectWithFlash(c, `/projects/${id}`, {
      message: `Revoked the key ${key.prefix}…: apps still sending with it get 403 from now on.`,
      tone: 'danger',
    })
  })

  // Billing: connect a provider (the URL is shown with the events to select), paste or replace
  // a signing secret, disconnect.
  app.post('/:id/billing', async function billingConnect(c) {
    const id = idParam(c, 'id', 'project')
    const field = await formFields(c)
    try {
      const provider = parseProvider(field('provider'))
      const created = await createConnection(c.var.db, {
        accountId: user(c).accountId,
        projectId: id,
        provider,
        signingSecret: field('signingSecret')?.trim() || undefined,
        // Product ids separated by commas, spaces or lines; empty: every product.
        products: field('products') ?? undefined,
      })
      if (!created) throw notFound()
      return c.redirect(`/projects/${id}?connected=${created.id}#billing`, 303)
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showProject(c, id, {}, 400, err.message)
    }
  })

  /** A connection's change from one of its forms (`field`): back to the page with `saved`, or the
   *  page again saying why the change was refused (nothing changed then). */
  const changeBilling =
    (field: 'signingSecret' | 'products', saved: (products: string[]) => string) =>
    async (c: Ctx) => {
      const id = idParam(c, 'id', 'project')
      const value = (await formFields(c))(field) ?? ''
      const connectionId = c.req.param('connection')!
      let changed
      try {
        changed = await changeConnection(c.var.db, user(c).accountId, id, connectionId, {
          [field]: value,
        })
        if (!changed) throw notFound()
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
        return showProject(c, id, {}, 400, err.message)
      }
      return redirectWithFlash(c, `/projects/${id}#billing`, { message: saved(changed.products) })
    }

  app.post(
    '/:id/billing/:connection/secret',
    changeBilling(
      'signingSecret',
      () => 'Saved the signing secret: events are checked with it from now on. It is never shown.',
    ),
  )

  app.post(
    '/:id/billing/:connection/products',
    changeBilling('products', (products) =>
      products.length
        ? `Saved: from now on this connection applies only events of ${products.join(', ')}.`
        : 'Saved: from now on this connection applies the events of every product.',
    ),
  )

  app.post('/:id/billing/:connection/delete', async function billingDisconnect(c) {
    const id = idParam(c, 'id', 'project')
    const deleted = await deleteConnection(
      c.var.db,
      user(c).accountId,
      id,
      c.req.param('connection'),
    )
    if (!deleted) throw notFound()
    return redirectWithFlash(c, `/projects/${id}#billing`, {
      message:
        'Disconnected: events sent to its webhook URL now get 404 and change nothing. Statuses already set stay.',
      tone: 'danger',
    })
  })

  app.get('/:id/delete', async function projectDeleteConfirm(c) {
    const impact = await projectDeletionImpact(
      c.var.db,
      user(c).accountId,
      idParam(c, 'id', 'project'),
    )
    if (!impact) throw notFound()
    const page = (
      <DeleteProjectPage
        impact={impact}
        userEmail={user(c).email}
        csrfToken={c.var.csrfToken}
        refused={refusalOf(c.var.flash, 'delete')}
      />
    )
    return renderPage(c, page)
  })

  app.post('/:id/delete', async function projectDelete(c) {
    const id = idParam(c, 'id', 'project')
    const impact = await projectDeletionImpact(c.var.db, user(c).accountId, id)
    if (!impact) throw notFound()
    // A project with customers goes only once its name is typed, as a customer with its email.
    const customers = Number(impact.customers ?? 0)
    const typed = (await formFields(c))('confirm') ?? ''
    if (customers > 0 && !sameProjectName(typed, impact.name)) {
      return redirectRefused(
        c,
        `/projects/${id}/delete`,
        `Type the project's name, ${impact.name}, to confirm.`,
        { form: 'delete', field: 'confirm', draft: { confirm: typed.slice(0, 200) } },
      )
    }
    const deleted = await deleteProject(c.var.db, user(c).accountId, id)
    if (!deleted) throw notFound()
    const removed = deleted.removedCustomers
    const one = removed === 1
    const gone = removed
      ? `; ${plural(removed, 'customer')} ${one ? 'was' : 'were'} in no other project and ${one ? 'is' : 'are'} gone`
      : ''
    return redirectWithFlash(c, '/projects', {
      message: `Deleted ${impact.name}, its keys and its data on ${plural(customers, 'customer')}${gone}.`,
      tone: 'danger',
    })
  })

  return app
}
