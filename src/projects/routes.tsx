// The projects pages: list and create, one project (rename, recolour, keys: rotate, add, revoke),
// delete with a confirmation, and its billing connections. Every form post does its work and
// answers 303 (Post/Redirect/Get): a reload never repeats it, and a new key reaches the project
// page once, as the redirect's flash. A refused post (a name already taken, a bad signing secret)
// answers 303 too, to the page of its form, which shows why at the field with what was typed
// (never a signing secret): Back and reload never offer to send it again.
// Every query is scoped to the signed-in account: another account's project id answers 404, never
// its data. A page sends at most three SQL statements; creating a project four (the list is read
// first, to warn about a name already taken), and so does the page after a rename refused for a
// name taken (the project of that name is looked up).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { addProjectKey, revokeProjectKey } from './keys.js'
import { deleteProject, projectDeletionImpact } from './delete.js'
import {
  createProject,
  listProjects,
  listProjectsWithCounts,
  projectAndKeys,
  ProjectNameTaken,
  projectWithKeysQuery,
  sameProjectName,
  updateProject,
} from './store.js'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { redirectRefused, redirectWithFlash } from '../middleware/flash/index.js'
import { refusalIn, refusalOf, type ShownRefusal } from '../lib/flash.js'
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
import { looksLikeSecret } from '../billing/products.js'
import { webhookUrl } from '../billing/routes.js'

type Ctx = Context<HonoEnv>

const user = sessionUser

const notFound = () => new ApiError('not_found', 'No such project in your account')

/** A create or rename refused (`form`) for `err`: 303 to `location`, whose page says why at the
 *  field, with the name and colour typed; a name another project has asks there once more. */
function refuseProjectForm(
  c: Ctx,
  location: string,
  form: 'create' | 'settings',
  err: ApiError,
  typed: { name: string; color?: string },
) {
  const taken = err instanceof ProjectNameTaken
  const message = taken
    ? `You already have a project named ${err.other.name} (slug ${err.other.slug}).`
    : err.message
  return redirectRefused(c, location, message, {
    form,
    field: err.details?.[0]?.path === 'color' ? 'color' : 'name',
    code: taken ? 'conflict' : undefined,
    draft: { name: typed.name.slice(0, 200), color: (typed.color ?? '').slice(0, 20) },
  })
}

/** The project whose name a refused create or rename typed (another than `exceptId`), when the
 *  refusal was for that: the warning that offers to go on names it. */
function nameTakenBy(
  projects: { id: number; name: string; slug: string }[],
  refused: ShownRefusal | undefined,
  exceptId?: number,
): NameTaken | undefined {
  const typed = refused?.draft.name
  if (refused?.code !== 'conflict' || typed === undefined) return undefined
  const other = projects.find((p) => p.id !== exceptId && sameProjectName(p.name, typed))
  return other && { name: other.name, slug: other.slug, draft: typed.trim() }
}

const isValidation = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.code === 'validation_failed'

/** A billing form refused (`form`: 'connect', `secret-<connection id>`, `products-<id>`): 303 to the
 *  billing section, saying why at the field the error names. `draft` holds the product ids typed
 *  (less any key or secret pasted among them), never a signing secret: the page asks for it again. */
function refuseBilling(
  c: Ctx,
  projectId: number,
  form: string,
  err: ApiError,
  draft: { products?: string },
) {
  const field = err.details?.[0]?.path
  // No #billing: a page opened at a fragment skips autofocus, and the field at fault, focused,
  // is scrolled into view anyway.
  return redirectRefused(c, `/projects/${projectId}`, err.message, {
    form,
    field: field === 'signingSecret' || field === 'products' ? field : undefined,
    draft:
      draft.products === undefined
        ? {}
        : {
            products: draft.products
              .split(/[\s,]+/)
              .filter((id) => id && !looksLikeSecret(id))
              .join(', ')
              .slice(0, 1000),
          },
  })
}

async function showProject(c: Ctx, projectId: number) {
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
  // A refused form of the page, from the post that redirected here: the settings' or billing's.
  const refused = refusalIn(c.var.flash)
  const settings = refused?.form === 'settings' ? refused : undefined
  const billing: ProjectPageProps['billing'] = {
    connections,
    waitingEvents: overview.waitingEvents,
    connected: just && { provider: just.provider, url: just.url, hasSecret: just.hasSecret },
    refused: settings ? undefined : refused,
  }
  const nameTaken =
    settings?.code === 'conflict'
      ? nameTakenBy(await listProjects(c.var.db, user(c).accountId), settings, projectId)
      : undefined
  const page = (
    <ProjectPage
      {...found}
      settings={settings}
      nameTaken={nameTaken}
      billing={billing}
      // The key created or rotated by the post that redirected here, shown this once.
      newKey={c.var.flash?.secret}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      baseUrl={publicBaseUrl(c, c.var.config.publicUrl)}
    />
  )
  return renderPage(c, page)
}

export function projectRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())

  app.get('/', async function projectsList(c) {
    const projects = await listProjectsWithCounts(c.var.db, user(c).accountId)
    const refused = refusalOf(c.var.flash, 'create')
    const page = (
      <ProjectsPage
        projects={projects}
        refused={refused}
        nameTaken={nameTakenBy(projects, refused)}
        userEmail={user(c).email}
        csrfToken={c.var.csrfToken}
      />
    )
    return renderPage(c, page)
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
      if (!(err instanceof ProjectNameTaken || isValidation(err))) throw err
      return refuseProjectForm(c, '/projects', 'create', err, { name, color })
    }
  })

  app.get('/:id', async function projectShow(c) {
    return showProject(c, idParam(c, 'id', 'project'))
  })

  app.post('/:id', async function projectUpdate(c) {
    const id = idParam(c, 'id', 'project')
    const field = await formFields(c)
    const name = field('name')
    const color = field('color')
    try {
      const updated = await updateProject(c.var.db, user(c).accountId, id, {
        name,
        color,
        duplicate: field('duplicate') === 'ok',
      })
      if (!updated) throw notFound()
    } catch (err) {
      if (!(err instanceof ProjectNameTaken || isValidation(err))) throw err
      return refuseProjectForm(c, `/projects/${id}`, 'settings', err, { name: name ?? '', color })
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
  // a signing secret, disconnect. Refused, each goes back to the billing section saying why at
  // the field, with the product ids typed but never the secret.
  app.post('/:id/billing', async function billingConnect(c) {
    const id = idParam(c, 'id', 'project')
    const field = await formFields(c)
    const products = field('products') ?? ''
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
      if (!isValidation(err)) throw err
      return refuseBilling(c, id, 'connect', err, { products })
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
        if (!isValidation(err)) throw err
        const form = `${field === 'signingSecret' ? 'secret' : 'products'}-${connectionId}`
        return refuseBilling(c, id, form, err, field === 'products' ? { products: value } : {})
      }
      return redirectWithFlash(c, `/projects/${id}#billing`, { message: saved(changed.products) })
    }

  app.post(
    '/:id/billing/:connection/secret',
    changeBilling(
      'signingSecret',
      () => 'Saved the signing secret: it is kept to check signatures and never shown again.',
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
        'Disconnected: events sent to its URL get 404 from now on and change nothing; statuses already set stay as they are.',
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
    const gone = removed ? `; ${plural(removed, 'customer')} in no other project went with it` : ''
    return redirectWithFlash(c, '/projects', {
      message: `Deleted ${impact.name}, its keys and its data on ${plural(customers, 'customer')}${gone}.`,
      tone: 'danger',
    })
  })

  return app
}
