// The account API for scripts (`Authorization: Bearer tcrm_acct_…`): read customers with the
// dashboard's filter syntax, export CSV, merge / undo / delete, list and create projects.
// Project keys are refused here: they are write-only and may live in a browser.
// Every route names its auth middleware itself (no `use('*')`): this router shares /v1 with the
// ingest routes, and a wildcard here would also run in front of /v1/identify.
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { ApiError } from '../lib/errors.js'
import { idParam, jsonBody } from '../lib/http.js'
import { accountToken, type AccountTokenEnv } from '../middleware/account-token/index.js'
import { createProject, listProjects } from '../projects/store.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import { getCustomer, listAliases } from '../customers/customer.js'
import { HISTORY_PAGE, customerHistory } from '../customers/history.js'
import { validationError } from '../lib/validation.js'
import { listCustomersByIds, summarizeCustomers, type Relation } from '../customers/query.js'
import { deleteCustomer } from '../merges/erase.js'
import { listMerges, mergeCustomers, undoMerge } from '../merges/store.js'
import { exportCustomersCsv, exportFilename } from '../csv/export.js'

const id = z.number().check(z.int(), z.positive())
const mergeBody = z.strictObject({ survivorId: id, absorbedId: id })
// Types only: the rules for a name and a colour are the project's own (createProject checks them).
// Their messages are the shared ones, which tell a missing name from one of the wrong type.
const projectBody = z.strictObject({
  name: z.string(),
  color: z.optional(z.string()),
  /** true: create it even when the account has a project of that name (as the dashboard asks). */
  duplicate: z.optional(z.boolean({ error: 'duplicate must be true or false' })),
})

type Slugs = Map<number, string>
const slugsById = (projects: { id: number; slug: string }[]): Slugs =>
  new Map(projects.map((p) => [p.id, p.slug]))

/** A relation list as `{ [slug]: {...} }`, the shape scripts index by product. */
function byProject<R extends Relation>(relations: R[], slugOf: (r: R) => string) {
  return Object.fromEntries(
    relations.map((r) => [
      slugOf(r),
      {
        status: r.status,
        params: r.params,
        firstSeenAt: r.firstSeenAt,
        lastActivityAt: r.lastActivityAt,
      },
    ]),
  )
}

const historyQuery = z.object({
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number from 1 to 500' })
      .check(
        z.int('limit must be a whole number'),
        z.gte(1, 'limit must be at least 1'),
        z.lte(500, 'limit is at most 500'),
      ),
    HISTORY_PAGE,
  ),
  before: z.optional(
    z.coerce.number({ error: 'before must be a change id' }).check(z.int(), z.positive()),
  ),
})

export function accountApiRoutes() {
  const app = new Hono<AccountTokenEnv>()

  app.get('/customers', accountToken(), async function listCustomersApi(c) {
    const url = new URL(c.req.url)
    const filter = parseCustomerFilter(url.searchParams)
    // With sum=, the dashboard's summary too (one more statement, only then): the segment's count
    // and the param added up, so the API answers "the MRR of pro customers" as the page does.
    // The rows statement names the filter's projects by the ids last seen, checked against these.
    const projects = listProjects(c.var.db, c.var.accountId)
    const [page, slugs, summary] = await Promise.all([
      listCustomersByIds(c.var.db, c.var.accountId, filter, projects),
      projects.then(slugsById),
      filter.sum
        ? summarizeCustomers(c.var.db, c.var.accountId, filter, {
            exactUpTo: c.var.config.exactCountUpTo,
          })
        : undefined,
    ])
    checkFilterProjects(filter, [...slugs.values()])
    // The next and previous pages' URLs: this one's query with the other page's cursor.
    const pageUrl = (key: 'after' | 'before', cursor: string | undefined) => {
      if (!cursor) return null
      const q = new URLSearchParams(url.searchParams)
      q.delete('after')
      q.delete('before')
      q.set(key, cursor)
      return `${url.pathname}?${q}`
    }
    return c.json({
      customers: page.rows.map((r) => ({
        id: r.id,
        email: r.email,
        name: r.name,
        createdAt: r.createdAt,
        lastActivityAt: r.lastActivityAt,
        projects: byProject(r.relations, (r) => slugs.get(r.projectId) ?? String(r.projectId)),
      })),
      next: page.next ?? null,
      nextUrl: pageUrl('after', page.next),
      prev: page.prev ?? null,
      prevUrl: pageUrl('before', page.prev),
      ...(summary?.sum && {
        count: summary.count,
        // false past 100,000 customers: count and sum are then estimates from a sample.
        countExact: summary.exact,
        sum: {
          key: summary.sum.key,
          project: summary.sum.project,
          all: summary.sum.all,
          matched: summary.sum.matched,
          byCurrency: summary.sum.byCurrency,
        },
      }),
    })
  })

  app.get('/customers/export.csv', accountToken(), async function exportCsvApi(c) {
    const filter = parseCustomerFilter(new URL(c.req.url).searchParams)
    const body = await exportCustomersCsv(c.var.db, c.var.accountId, filter)
    return c.body(body, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${exportFilename()}"`,
      'Cache-Control': 'no-store',
    })
  })

  app.get('/customers/:id{[0-9]+}', accountToken(), async function getCustomerApi(c) {
    const customerId = idParam(c, 'id', 'customer')
    const [customer, merges, aliases] = await Promise.all([
      getCustomer(c.var.db, c.var.accountId, customerId),
      listMerges(c.var.db, c.var.accountId, customerId),
      listAliases(c.var.db, c.var.accountId, customerId),
    ])
    if (!customer) throw new ApiError('not_found', `No customer ${customerId} in this account`)
    const { relations, ...rest } = customer
    return c.json({
      customer: {
        ...rest,
        aliases,
        projects: byProject(relations, (r) => r.project.slug),
        merges: merges.map((m) => ({
          id: m.id,
          absorbedId: m.absorbed_id,
          absorbedEmail: m.absorbed_email,
          mergedAt: m.created_at,
          undoneAt: m.undone_at,
        })),
      },
    })
  })

  // The customer's history of changes, newest first; `before` (a change id) pages on.
  app.get('/customers/:id{[0-9]+}/history', accountToken(), async function historyApi(c) {
    const customerId = idParam(c, 'id', 'customer')
    const query = historyQuery.safeParse(c.req.query())
    if (!query.success) throw validationError(query.error)
    const { limit, before } = query.data
    const [customer, changes] = await Promise.all([
      getCustomer(c.var.db, c.var.accountId, customerId),
      customerHistory(c.var.db, c.var.accountId, customerId, { limit, before }),
    ])
    if (!customer) throw new ApiError('not_found', `No customer ${customerId} in this account`)
    return c.json({
      changes: changes.map((h) => ({
        id: h.id,
        project: h.project.slug,
        field: h.field,
        key: h.key,
        from: h.from,
        to: h.to,
        source: h.source,
        changedAt: h.changedAt,
      })),
      next: changes.length === limit ? changes[changes.length - 1]!.id : null,
    })
  })

  app.post('/customers/merge', accountToken(), jsonBody(mergeBody), async function mergeApi(c) {
    const body = c.req.valid('json')
    const { mergeId } = await mergeCustomers(c.var.db, {
      accountId: c.var.accountId,
      actor: c.var.actor,
      ...body,
    })
    return c.json({ ok: true, mergeId, customerId: body.survivorId })
  })

  app.post('/merges/:id{[0-9]+}/undo', accountToken(), async function undoApi(c) {
    const mergeId = idParam(c, 'id', 'merge')
    const { customerIds } = await undoMerge(c.var.db, {
      accountId: c.var.accountId,
      mergeId,
      actor: c.var.actor,
    })
    return c.json({ ok: true, mergeId, survivorId: customerIds[0], restoredId: customerIds[1] })
  })

  app.delete('/customers/:id{[0-9]+}', accountToken(), async function deleteApi(c) {
    const customerId = idParam(c, 'id', 'customer')
    const deleted = await deleteCustomer(c.var.db, {
      accountId: c.var.accountId,
      customerId,
      actor: c.var.actor,
    })
    return c.json({ ok: true, customerId, deleted })
  })

  app.get('/projects', accountToken(), async function listProjectsApi(c) {
    const rows = await listProjects(c.var.db, c.var.accountId)
    return c.json({
      projects: rows.map((p) => ({
        id: p.id,
        name: p.name,
        slug: p.slug,
        color: p.color,
        createdAt: p.created_at,
        activeKeys: Number(p.active_keys ?? 0),
      })),
    })
  })

  app.post('/projects', accountToken(), jsonBody(projectBody), async function createProjectApi(c) {
    const { project, key } = await createProject(c.var.db, {
      accountId: c.var.accountId,
      ...c.req.valid('json'),
    })
    return c.json(
      {
        project: {
          id: project.id,
          name: project.name,
          slug: project.slug,
          color: project.color,
          createdAt: project.created_at,
        },
        key,
      },
      201,
    )
  })

  return app
}
