// The projects pages: list and create, one project (rename, recolour, keys: rotate, add, revoke),
// delete with a confirmation, and its billing connections. Every query is scoped to the signed-in
// account: another account's project id answers 404, never its data. Each request sends at most
// three SQL statements.
import { Hono, type Context } from 'hono'
import { addProjectKey, revokeProjectKey } from './keys.js'
import {
  createProject,
  deleteProject,
  projectAndKeys,
  projectWithKeysQuery,
  listProjectsWithCounts,
  projectDeletionImpact,
  updateProject,
} from './store.js'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { publicBaseUrl } from '../lib/public-url.js'
import { renderPage } from '../lib/render.js'
import { DeleteProjectPage } from '../../views/projects/delete.js'
import { ProjectsPage } from '../../views/projects/list.js'
import { ProjectPage, type ProjectPageProps } from '../../views/projects/project.js'
import {
  billingColumns,
  createConnection,
  deleteConnection,
  overviewOf,
  parseProvider,
  setSigningSecret,
} from '../billing/connections.js'
import { webhookUrl } from '../billing/routes.js'

type Ctx = Context<HonoEnv>

const user = sessionUser

const notFound = () => new ApiError('not_found', 'No such project in your account')

async function showProject(
  c: Ctx,
  projectId: number,
  extra: { newKey?: string; error?: string; notice?: string } = {},
  status: 200 | 400 = 200,
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
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      baseUrl={publicBaseUrl(c, c.var.config.publicUrl)}
    />
  )
  // A page carrying a live key must not be kept by the browser or a proxy.
  if (extra.newKey) c.header('Cache-Control', 'no-store')
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
      })
      // Rendered here, not redirected: the full key exists only in this response.
      return showProject(c, project.id, { newKey: key, notice: `Project ${project.name} created.` })
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      const projects = await listProjectsWithCounts(c.var.db, user(c).accountId)
      const page = (
        <ProjectsPage
          projects={projects}
          userEmail={user(c).email}
          csrfToken={c.var.csrfToken}
          error={err.message}
          draftName={name}
        />
      )
      return renderPage(c, page, 400)
    }
  })

  app.get('/:id', async function projectShow(c) {
    return showProject(c, idParam(c, 'id', 'project'))
  })

  app.post('/:id', async function projectUpdate(c) {
    const id = idParam(c, 'id', 'project')
    const field = await formFields(c)
    try {
      const updated = await updateProject(c.var.db, user(c).accountId, id, {
        name: field('name'),
        color: field('color'),
      })
      if (!updated) throw notFound()
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showProject(c, id, { error: err.message }, 400)
    }
    return c.redirect(`/projects/${id}`, 303)
  })

  app.post('/:id/keys', async function keyCreate(c) {
    const id = idParam(c, 'id', 'project')
    const mode = (await formFields(c))('mode')
    const key = await addProjectKey(c.var.db, user(c).accountId, id, {
      revokeOthers: mode !== 'add',
    })
    if (!key) throw notFound()
    const notice =
      mode === 'add'
        ? 'Key added. The other keys keep working until you revoke them.'
        : 'Key rotated: every older key of this project has stopped working.'
    return showProject(c, id, { newKey: key, notice })
  })

  app.post('/:id/keys/:keyId/revoke', async function keyRevoke(c) {
    const id = idParam(c, 'id', 'project')
    const keyId = idParam(c, 'keyId', 'key')
    if (!(await revokeProjectKey(c.var.db, user(c).accountId, id, keyId))) throw notFound()
    return c.redirect(`/projects/${id}`, 303)
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
      })
      if (!created) throw notFound()
      return c.redirect(`/projects/${id}?connected=${created.id}#billing`, 303)
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showProject(c, id, {}, 400, err.message)
    }
  })

  app.post('/:id/billing/:connection/secret', async function billingSecret(c) {
    const id = idParam(c, 'id', 'project')
    const secret = (await formFields(c))('signingSecret') ?? ''
    try {
      const ok = await setSigningSecret(
        c.var.db,
        user(c).accountId,
        id,
        c.req.param('connection'),
        secret,
      )
      if (!ok) throw notFound()
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      return showProject(c, id, {}, 400, err.message)
    }
    return c.redirect(`/projects/${id}#billing`, 303)
  })

  app.post('/:id/billing/:connection/delete', async function billingDisconnect(c) {
    const id = idParam(c, 'id', 'project')
    const deleted = await deleteConnection(
      c.var.db,
      user(c).accountId,
      id,
      c.req.param('connection'),
    )
    if (!deleted) throw notFound()
    return c.redirect(`/projects/${id}#billing`, 303)
  })

  app.get('/:id/delete', async function projectDeleteConfirm(c) {
    const impact = await projectDeletionImpact(
      c.var.db,
      user(c).accountId,
      idParam(c, 'id', 'project'),
    )
    if (!impact) throw notFound()
    return renderPage(
      c,
      <DeleteProjectPage impact={impact} userEmail={user(c).email} csrfToken={c.var.csrfToken} />,
    )
  })

  app.post('/:id/delete', async function projectDelete(c) {
    const deleted = await deleteProject(c.var.db, user(c).accountId, idParam(c, 'id', 'project'))
    if (!deleted) throw notFound()
    return c.redirect('/projects', 303)
  })

  return app
}
