// Dashboard routes of CSV import and export (signed in): /imports/new (upload, streamed to
// /imports/stream with JS, multipart to /imports without), /imports/:id (the job's page),
// …/mapping (start the dry run), …/start (import), …/progress (the htmx poll that advances the
// job), …/discard (an interrupted upload), …/rejects.csv; and GET /customers/export.csv (the
// table's filter URL).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formBody, idParam } from '../lib/http.js'
import { renderFragment, renderPage } from '../lib/render.js'
import { refusalOf } from '../lib/flash.js'
import { redirectRefused } from '../middleware/flash/index.js'
import { parseCustomerFilter } from '../customers/filter.js'
import { listProjects } from '../projects/store.js'
import { ImportPage, ImportState, type ImportView } from '../../views/import/job.js'
import { UploadPage } from '../../views/import/upload.js'
import { csvLine, exportCustomersCsv, exportFilename } from './export.js'
import {
  NO_COUNTS,
  firstChunkRows,
  listImports,
  listRejects,
  loadJob,
  runFor,
  startDryRun,
  startImport,
} from './job.js'
import {
  mappingFields,
  mappingFromForm,
  paramKeyFromHeader,
  suggestMapping,
  type Mapping,
} from './mapping.js'
import { previewRows } from './preview.js'
import { discardInterruptedUpload } from './retention.js'
import { createImport, MAX_UPLOAD_BYTES } from './upload.js'

type Ctx = Context<HonoEnv>
const user = sessionUser
/** How long one poll works on the job before answering (the Worker's CPU limit is far above). */
const POLL_BUDGET_MS = 800
const PREVIEW_ROWS = 10

const accountProjects = (c: Ctx) => listProjects(c.var.db, user(c).accountId)

async function importView(c: Ctx, id: number): Promise<ImportView> {
  const db = c.var.db
  const job = await loadJob(db, user(c).accountId, id)
  const [projects, stored, rejects] = await Promise.all([
    accountProjects(c),
    firstChunkRows(db, id),
    listRejects(db, id, 20),
  ])
  const project = projects.find((p) => p.id === job.project_id)!
  const sample = stored.slice(0, PREVIEW_ROWS)
  const suggested = suggestMapping(
    job.header,
    sample.map((r) => r.slice(1)),
    project.slug,
    projects.map((p) => p.slug),
  )
  const mapping: Mapping = job.mapping.length ? job.mapping : suggested
  return {
    id,
    filename: job.filename,
    project: { name: project.name, slug: project.slug, color: project.color },
    state: job.state,
    interrupted: job.interrupted,
    header: job.header,
    mapping,
    suggestedKeys: job.header.map((h, i) => suggested[i]?.key ?? paramKeyFromHeader(h, i)),
    firstValues: job.header.map((_, i) => sample[0]?.[i + 1] ?? ''),
    totalRows: job.total_rows,
    chunks: job.chunks,
    nextChunk: job.next_chunk,
    counts: job.counts,
    dryRun: job.dry_run ? { ...NO_COUNTS, ...job.dry_run } : null,
    preview: job.mapping.length ? previewRows(sample, job.mapping, job.header) : undefined,
    rejects: rejects.map((r) => ({ line: r.line, reason: r.reason })),
  }
}

export function csvDashboardRoutes() {
  const app = new Hono<HonoEnv>()

  app.get('/customers/export.csv', requireUser(), async function exportCsv(c) {
    const filter = parseCustomerFilter(new URL(c.req.url).searchParams)
    const body = await exportCustomersCsv(c.var.db, user(c).accountId, filter)
    return c.body(body, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${exportFilename()}"`,
      'Cache-Control': 'no-store',
    })
  })

  app.get('/imports/new', requireUser(), async function uploadForm(c) {
    const refused = refusalOf(c.var.flash, 'upload')
    const projectId = Number(refused?.draft.project ?? c.req.query('project') ?? 0) || undefined
    const [projects, imports] = await Promise.all([
      accountProjects(c),
      listImports(c.var.db, user(c).accountId),
    ])
    const page = (
      <UploadPage
        userEmail={user(c).email}
        csrfToken={c.var.csrfToken}
        projects={projects}
        projectId={projectId}
        imports={imports}
        refused={refused}
      />
    )
    return renderPage(c, page)
  })

  // The no-JS fallback: parseBody() buffers the whole multipart form (the file included) in memory
  // before parsing starts. With JS, public/assets/import.js sends the file to /imports/stream instead.
  // Refused, it redirects (303) to the upload page, which says why at the field and keeps the
  // project chosen; a file cannot come back with a page, so the message asks for it again.
  app.post('/imports', requireUser(), async function upload(c) {
    const form = await formBody(c)
    const projects = await accountProjects(c)
    const project = projects.find((p) => String(p.id) === String(form.project))
    const file = form.file
    const refuse = (field: 'project' | 'file', message: string) =>
      redirectRefused(c, '/imports/new', message, {
        form: 'upload',
        field,
        draft: project ? { project: String(project.id) } : undefined,
      })
    if (!project) return refuse('project', 'Pick a project of yours, then choose the file again.')
    if (!(file instanceof File) || file.size === 0)
      return refuse('file', 'Choose a CSV file to upload.')
    try {
      const { importId } = await createImport(c.var.db, {
        accountId: user(c).accountId,
        projectId: project.id,
        filename: file.name,
        body: file.stream(),
      })
      return c.redirect(`/imports/${importId}`, 303)
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      // The project deleted while the file arrived: its message already asks for the file again.
      if (err.code === 'not_found') return refuse('project', err.message)
      // An over-size file shows on the form too (the stream route answers 413).
      if (err.code !== 'validation_failed' && err.code !== 'payload_too_large') throw err
      return refuse('file', `${err.message.replace(/\.$/, '')}. Choose the file again.`)
    }
  })

  // The streaming upload: the request body IS the file (sent by import.js as the raw File), parsed
  // and stored in chunks as it arrives, so a 100,000-row file is never in memory whole. The CSRF
  // token comes in the X-CSRF-Token header; errors answer JSON for the script to show.
  app.post('/imports/stream', requireUser(), async function uploadStream(c) {
    const type = c.req.header('content-type') ?? ''
    if (!/^text\/(csv|plain)\b/i.test(type)) {
      throw new ApiError('unsupported_media_type', 'Send the file as text/csv')
    }
    const length = c.req.header('content-length')
    if (length !== undefined && Number(length) > MAX_UPLOAD_BYTES) {
      throw new ApiError(
        'payload_too_large',
        `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`,
      )
    }
    const project = (await accountProjects(c)).find((p) => String(p.id) === c.req.query('project'))
    if (!project) throw new ApiError('validation_failed', 'Pick a project of yours.')
    const body = c.req.raw.body
    if (!body || length === '0')
      throw new ApiError('validation_failed', 'Choose a CSV file to upload.')
    const { importId, rows } = await createImport(c.var.db, {
      accountId: user(c).accountId,
      projectId: project.id,
      filename: c.req.query('name') ?? 'upload.csv',
      body,
    })
    const location = `/imports/${importId}`
    c.header('Location', location)
    return c.json({ ok: true, importId, rows, location }, 201)
  })

  app.get('/imports/:id{[0-9]+}', requireUser(), async function importShow(c) {
    const view = await importView(c, idParam(c, 'id', 'import'))
    // A mapping refused (the redirect's flash): the form as it was posted, saying why.
    const refused = refusalOf(c.var.flash, 'mapping')
    if (refused) {
      const fields = { ...mappingFields(view.mapping, view.suggestedKeys), ...refused.draft }
      view.mapping = mappingFromForm(fields, view.header.length)
    }
    const page = (
      <ImportPage
        view={view}
        userEmail={user(c).email}
        csrfToken={c.var.csrfToken}
        refused={refused}
      />
    )
    return renderPage(c, page)
  })

  app.post('/imports/:id{[0-9]+}/mapping', requireUser(), async function importMapping(c) {
    const id = idParam(c, 'id', 'import')
    const job = await loadJob(c.var.db, user(c).accountId, id)
    const mapping = mappingFromForm(await formBody(c), job.header.length)
    try {
      await startDryRun(c.var.db, user(c).accountId, id, mapping)
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      // Back to the import's page (303), which shows the form as posted, saying why at the field
      // at fault. The draft is what differs from the form the page shows by itself: a file of
      // many columns still fits the cookie.
      const view = await importView(c, id)
      const shown = mappingFields(view.mapping, view.suggestedKeys)
      const posted = Object.entries(mappingFields(mapping, view.suggestedKeys))
      return redirectRefused(c, `/imports/${id}`, err.message, {
        form: 'mapping',
        field: err.details?.find((d) => d.path !== 'mapping')?.path,
        draft: Object.fromEntries(posted.filter(([k, v]) => shown[k] !== v)),
      })
    }
    return c.redirect(`/imports/${id}`, 303)
  })

  app.post('/imports/:id{[0-9]+}/start', requireUser(), async function importStart(c) {
    const id = idParam(c, 'id', 'import')
    await loadJob(c.var.db, user(c).accountId, id)
    await startImport(c.var.db, user(c).accountId, id)
    return c.redirect(`/imports/${id}`, 303)
  })

  app.get('/imports/:id{[0-9]+}/progress', requireUser(), async function importProgress(c) {
    const id = idParam(c, 'id', 'import')
    const job = await loadJob(c.var.db, user(c).accountId, id)
    await runFor(c.var.db, job, POLL_BUDGET_MS)
    const view = await importView(c, id)
    if (c.req.header('HX-Request') !== 'true') return c.redirect(`/imports/${id}`, 303)
    return renderFragment(c, <ImportState view={view} csrfToken={c.var.csrfToken} />)
  })

  // An upload that stopped arriving (./retention.ts), removed now rather than at the next sweep.
  app.post('/imports/:id{[0-9]+}/discard', requireUser(), async function importDiscard(c) {
    const id = idParam(c, 'id', 'import')
    await loadJob(c.var.db, user(c).accountId, id)
    if (!(await discardInterruptedUpload(c.var.db, user(c).accountId, id))) {
      throw new ApiError('conflict', 'Only an upload that stopped arriving can be removed')
    }
    return c.redirect('/imports/new', 303)
  })

  app.get('/imports/:id{[0-9]+}/rejects.csv', requireUser(), async function rejectsCsv(c) {
    const id = idParam(c, 'id', 'import')
    const job = await loadJob(c.var.db, user(c).accountId, id)
    const rejects = await listRejects(c.var.db, id)
    let out = '\uFEFF' + csvLine(['line', 'reason', ...job.header])
    for (const r of rejects) {
      // An empty cell stays empty (no value), not the guarded empty text `'`.
      out += csvLine([r.line, r.reason, ...r.cells.map((cell) => (cell === '' ? null : cell))])
    }
    return c.body(out, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="rejected-rows-${id}.csv"`,
      'Cache-Control': 'no-store',
    })
  })

  return app
}
