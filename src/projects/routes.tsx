// The projects pages: list and create, one project (rename, recolour, keys: rotate, add, revoke),
// delete with a confirmation. Every query is scoped to the signed-in account: another account's
// project id answers 404, never its data. Each request sends at most three SQL statements.
import { Hono, type Context } from 'hono'
import { addProjectKey, revokeProjectKey } from './keys.js'
import {
  createProject,
  deleteProject,
  getProjectWithKeys,
  listProjectsWithCounts,
  projectDeletionImpact,
  updateProject,
} from './store.js'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { renderPage } from '../lib/render.js'
import { DeleteProjectPage } from '../../views/projects/delete.js'
import { ProjectsPage } from '../../views/projects/list.js'
import { ProjectPage } from '../../views/projects/project.js'

type Ctx = Context<HonoEnv>

const user = sessionUser

const notFound = () => new ApiError('not_found', 'No such project in your account')

/** Where this server is reached, for the install snippet: the configured URL, else this request's. */
function baseUrl(c: Ctx): string {
  const configured = c.var.config.publicUrl?.replace(/\/+$/, '')
  if (configured) return configured
  const url = new URL(c.req.url)
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim()
  return `${proto === 'https' || proto === 'http' ? proto : url.protocol.slice(0, -1)}://${url.host}`
}

async function showProject(
  c: Ctx,
  projectId: number,
  extra: { newKey?: string; error?: string; notice?: string } = {},
  status: 200 | 400 = 200,
) {
  const found = await getProjectWithKeys(c.var.db, user(c).accountId, projectId)
  if (!found) throw notFound()
  const page = (
    <ProjectPage
      {...found}
      {...extra}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      baseUrl={baseUrl(c)}
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
