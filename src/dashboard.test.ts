// Post/Redirect/Get, for every form the dashboard has: each POST route, done successfully, answers
// 303 and its target page renders (a reload of that page is a GET and repeats nothing). The list
// of POST routes is read from the dashboard itself, so a new form post without a case here fails
// this test until it gets one.
import { expect, it } from 'vitest'
import { dashboardApp } from './dashboard.js'
import { ingestForProject } from './ingest/upsert.js'
import { createInvite } from './accounts/members.js'
import { useTestApp } from '../test/support/db.js'
import { TestBrowser } from '../test/support/test-browser.js'

const t = useTestApp()

type Answer = { status: number; location: string | null }

/** Routes that are not forms, and why. */
const NOT_FORMS: Record<string, string> = {
  '/imports/stream': "import.js's fetch: the file as the body, answered 201 JSON with a Location",
}

it('answers every successful form post with 303 to a page that renders', async () => {
  const b = new TestBrowser(t.app)
  const email = 'prg@example.com'
  const accountOf = async () =>
    (
      await t.db
        .selectFrom('users')
        .select('account_id')
        .where('email', '=', email)
        .executeTakeFirstOrThrow()
    ).account_id
  const projectIds = async () =>
    (
      await t.db
        .selectFrom('projects')
        .select('id')
        .where('account_id', '=', await accountOf())
        .orderBy('id')
        .execute()
    ).map((p) => p.id)
  const customer = async (projectId: number, address: string) => {
    const [r] = await ingestForProject(t.db, projectId, [{ type: 'identify', email: address }])
    return (r as { customerId: number }).customerId
  }
  /** The id of the account's row in `table` that an earlier case made. */
  const idIn = async (table: 'billing_connections' | 'merges' | 'account_tokens' | 'invites') =>
    (
      await t.db
        .selectFrom(table)
        .select('id')
        .where('account_id', '=', await accountOf())
        .executeTakeFirstOrThrow()
    ).id
  /** The account's first saved view in its order. */
  const firstView = async () =>
    (
      await t.db
        .selectFrom('saved_views')
        .select('id')
        .where('account_id', '=', await accountOf())
        .orderBy('position')
        .executeTakeFirstOrThrow()
    ).id
  const pageOf = async (path: string) => {
    await b.get(path)
    return b.csrf
  }
  let importId = 0

  // In an order that builds what the next case needs.
  const cases: [string, () => Promise<Answer>][] = [
    ['/signup', () => b.signUp(email)],
    ['/logout', async () => (await pageOf('/projects'), b.post('/logout'))],
    ['/login', () => b.logIn(email)],
    ['/projects', async () => (await pageOf('/projects'), b.post('/projects', { name: 'App A' }))],
    [
      '/projects/:id',
      async () => {
        const [id] = await projectIds()
        await pageOf(`/projects/${id}`)
        return b.post(`/projects/${id}`, { name: 'App A1', color: '#0f766e' })
      },
    ],
    [
      '/projects/:id/keys',
      async () => b.post(`/projects/${(await projectIds())[0]}/keys`, { mode: 'rotate' }),
    ],
    [
      '/projects/:id/keys/:keyId/revoke',
      async () => {
        const [id] = await projectIds()
        const key = await t.db
          .selectFrom('api_keys')
          .select('id')
          .where('project_id', '=', id!)
          .where('revoked_at', 'is', null)
          .executeTakeFirstOrThrow()
        return b.post(`/projects/${id}/keys/${key.id}/revoke`)
      },
    ],
    [
      '/projects/:id/billing',
      async () => {
        const [id] = await projectIds()
        await pageOf(`/projects/${id}`)
        return b.post(`/projects/${id}/billing`, { provider: 'stripe' })
      },
    ],
    [
      '/projects/:id/billing/:connection/secret',
      async () => {
        const [id] = await projectIds()
        const connection = await idIn('billing_connections')
        return b.post(`/projects/${id}/billing/${connection}/secret`, {
          signingSecret: 'whsec_0123456789abcdefghij',
        })
      },
    ],
    [
      '/projects/:id/billing/:connection/products',
      async () => {
        const [id] = await projectIds()
        const connection = await idIn('billing_connections')
        return b.post(`/projects/${id}/billing/${connection}/products`, {
          products: 'prod_A1b2C3, prod_Z9',
        })
      },
    ],
    [
      '/projects/:id/billing/:connection/delete',
      async () => {
        const [id] = await projectIds()
        return b.post(`/projects/${id}/billing/${await idIn('billing_connections')}/delete`)
      },
    ],
    [
      '/customers/:id{[0-9]+}/name',
      async () => {
        const id = await customer((await projectIds())[0]!, 'named@x.example')
        await pageOf(`/customers/${id}`)
        return b.post(`/customers/${id}/name`, { name: 'Named' })
      },
    ],
    [
      '/imports',
      async () => {
        const [projectId] = await projectIds()
        await pageOf(`/imports/new?project=${projectId}`)
        const form = new FormData()
        form.set('_csrf', b.csrf)
        form.set('project', String(projectId))
        form.set('file', new File(['email\nimported@x.example\n'], 'few.csv'))
        const res = await b.request('/imports', { method: 'POST', body: form })
        importId = Number(/\/imports\/(\d+)$/.exec(res.location ?? '')?.[1])
        return res
      },
    ],
    [
      '/imports/:id{[0-9]+}/mapping',
      () => b.post(`/imports/${importId}/mapping`, { target_0: 'email' }),
    ],
    [
      '/imports/:id{[0-9]+}/start',
      async () => {
        // The dry run advances with the page's polls; one is enough for one row.
        await b.get(`/imports/${importId}/progress`, { 'HX-Request': 'true' })
        await pageOf(`/imports/${importId}`)
        return b.post(`/imports/${importId}/start`)
      },
    ],
    [
      '/imports/:id{[0-9]+}/discard',
      async () => {
        // An upload whose bytes stopped arriving 20 minutes ago (src/csv/interrupted-upload.test.ts).
        const project = await t.db
          .selectFrom('projects')
          .select(['id', 'account_id'])
          .where('id', '=', (await projectIds())[0]!)
          .executeTakeFirstOrThrow()
        const { id } = await t.db
          .insertInto('imports')
          .values({
            account_id: project.account_id,
            project_id: project.id,
            filename: 'stalled.csv',
            header: '["email"]',
            state: 'uploading',
            progress_at: new Date(Date.now() - 20 * 60_000),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await pageOf('/imports/new')
        return b.post(`/imports/${id}/discard`)
      },
    ],
    [
      '/customers/:id{[0-9]+}/merge',
      async () => {
        const [projectId] = await projectIds()
        const id = await customer(projectId!, 'one@x.example')
        await customer(projectId!, 'two@x.example')
        await pageOf(`/customers/${id}/manage`)
        return b.post(`/customers/${id}/merge`, { other: 'two@x.example', keep: 'this' })
      },
    ],
    [
      '/merges/:id{[0-9]+}/undo',
      async () => {
        const mergeId = await idIn('merges')
        return b.post(`/merges/${mergeId}/undo`)
      },
    ],
    [
      '/customers/:id{[0-9]+}/delete',
      async () => {
        const id = await customer((await projectIds())[0]!, 'gone@x.example')
        await pageOf(`/customers/${id}/manage`)
        return b.post(`/customers/${id}/delete`, { confirm: 'gone@x.example' })
      },
    ],
    [
      '/settings/tokens',
      async () => (await pageOf('/settings/tokens'), b.post('/settings/tokens', { name: 'cron' })),
    ],
    [
      '/settings/tokens/:id{[0-9]+}/revoke',
      async () => {
        const tokenId = await idIn('account_tokens')
        return b.post(`/settings/tokens/${tokenId}/revoke`)
      },
    ],
    [
      '/settings/team/invites',
      async () => (await pageOf('/settings/team'), b.post('/settings/team/invites')),
    ],
    [
      '/settings/team/invites/:id{[0-9]+}/revoke',
      async () => {
        const inviteId = await idIn('invites')
        await pageOf('/settings/team')
        return b.post(`/settings/team/invites/${inviteId}/revoke`)
      },
    ],
    [
      '/invite/:token',
      async () => {
        const owner = await t.db
          .selectFrom('users')
          .select(['id', 'account_id'])
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
        const { token } = await createInvite(t.db, owner.account_id, owner.id)
        const mate = new TestBrowser(t.app)
        await mate.get(`/invite/${token}`)
        return mate.post(`/invite/${token}`, { email: 'mate@x.example', password: 'teammate pw' })
      },
    ],
    [
      '/settings/team/members/:id{[0-9]+}/remove',
      async () => {
        const mate = await t.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'mate@x.example')
          .executeTakeFirstOrThrow()
        await pageOf('/settings/team')
        return b.post(`/settings/team/members/${mate.id}/remove`)
      },
    ],
    [
      '/customers/views',
      async () => (
        await pageOf('/customers'),
        b.post('/customers/views', { name: 'Paid anywhere', query: 'status=paid' })
      ),
    ],
    [
      '/customers/views/ready',
      async () => (await pageOf('/customers'), b.post('/customers/views/ready')),
    ],
    [
      '/customers/views/:id{[0-9]+}/move',
      async () => {
        const viewId = await firstView()
        await pageOf('/customers')
        return b.post(`/customers/views/${viewId}/move`, { by: 'down' })
      },
    ],
    [
      '/customers/views/:id{[0-9]+}/rename',
      async () => {
        const viewId = await firstView()
        await pageOf('/customers')
        return b.post(`/customers/views/${viewId}/rename`, { name: 'Renamed view' })
      },
    ],
    [
      '/customers/views/:id{[0-9]+}/delete',
      async () => {
        const viewId = await firstView()
        await pageOf('/customers')
        return b.post(`/customers/views/${viewId}/delete`)
      },
    ],
    [
      '/projects/:id/delete',
      async () => {
        const [id] = await projectIds()
        await pageOf(`/projects/${id}/delete`)
        return b.post(`/projects/${id}/delete`, { confirm: 'App A1' })
      },
    ],
  ]

  const posts = new Set(
    dashboardApp({ db: t.db })
      .routes.filter((r) => r.method === 'POST')
      .map((r) => r.path),
  )
  const covered = new Set([...cases.map(([path]) => path), ...Object.keys(NOT_FORMS)])
  const missing = [...posts].filter((p) => !covered.has(p))
  expect(missing, 'POST routes without a case in src/dashboard.test.ts').toEqual([])
  expect(
    [...covered].filter((p) => !posts.has(p)),
    'cases for routes that are gone',
  ).toEqual([])

  for (const [path, post] of cases) {
    const res = await post()
    expect(res.status, path).toBe(303)
    expect(res.location, path).toMatch(/^\//)
    const landed = await b.follow(res)
    expect(landed.status, `${path} → ${res.location}`).toBe(200)
  }
})
