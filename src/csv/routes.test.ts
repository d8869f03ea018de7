// The dashboard's CSV import and export, through the real forms: upload (multipart), mapping, the
// dry run advanced by htmx polls, the import, the rejected-rows download; the export of the
// table's filter URL; and that another account reaches none of it.
import { describe, expect, it } from 'vitest'
import { TestBrowser } from '../../test/support/test-browser.js'
import { useTestApp } from '../../test/support/db.js'
import { signUpWithProject } from '../../test/support/fixtures.js'

const t = useTestApp()

async function upload(b: TestBrowser, projectId: number, csv: string) {
  await b.get(`/imports/new?project=${projectId}`)
  const form = new FormData()
  form.set('_csrf', b.csrf)
  form.set('project', String(projectId))
  form.set('file', new File([csv], 'people.csv', { type: 'text/csv' }))
  return b.request('/imports', { method: 'POST', body: form })
}

/** Polls like the page does (htmx GETs) until the state section stops polling. */
async function pollToEnd(b: TestBrowser, id: string) {
  const seen: string[] = []
  for (let i = 0; i < 50; i++) {
    const res = await b.get(`/imports/${id}/progress`, { 'HX-Request': 'true' })
    seen.push(res.html)
    if (!res.html.includes('hx-trigger="every 1s"')) return seen
  }
  throw new Error('the import never finished')
}

describe('CSV import in the dashboard', () => {
  it('upload → mapping → dry run → import → rejected rows', async () => {
    const { b, projectId } = await signUpWithProject(t, 'importer@example.com')
    const csv =
      'Email,Name,Plan,MRR\nann@x.example,Ann,pro,10\nbad-email,Bad,pro,1\nbob@x.example,Bob,basic,0\n'
    const res = await upload(b, projectId, csv)
    expect(res.status).toBe(303)
    const id = /\/imports\/(\d+)$/.exec(res.location!)![1]!
    const page = await b.get(res.location!)
    expect(page.html).toContain('Map the columns')
    expect(page.html).toMatch(/<option value="email" selected/)

    const mapped = await b.post(`/imports/${id}/mapping`, {
      target_0: 'email',
      target_1: 'name',
      target_2: 'param',
      key_2: 'plan',
      type_2: 'text',
      target_3: 'param',
      key_3: 'mrr',
      type_3: 'number',
    })
    expect(mapped.status).toBe(303)
    const running = (await b.get(`/imports/${id}`)).html
    expect(running).toContain('hx-trigger="every 1s"')
    expect(running).toContain('each refresh checks the next rows')
    const dry = await pollToEnd(b, id)
    const result = dry.at(-1)!
    expect(result).toContain('Import 2 rows')
    expect(result).toContain('would be created')
    expect(result).toMatch(/<strong>2<\/strong> <span>would be created/)
    expect(result).toMatch(/<strong>1<\/strong> <span>would be rejected/)
    expect(result).toContain('Line 3: email is not a valid email address')
    expect(
      await t.db
        .selectFrom('customers')
        .select('id')
        .where('email', '=', 'ann@x.example')
        .execute(),
    ).toEqual([])

    await b.get(`/imports/${id}`)
    expect((await b.post(`/imports/${id}/start`)).status).toBe(303)
    const done = (await pollToEnd(b, id)).at(-1)!
    expect(done).toContain('Import finished')
    expect(done).toMatch(/<strong>2<\/strong> <span>created/)
    const ann = await t.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['c.name', 'r.params'])
      .where('c.email', '=', 'ann@x.example')
      .executeTakeFirstOrThrow()
    expect(ann).toEqual({ name: 'Ann', params: { plan: 'pro', mrr: 10 } })

    const rejects = await b.get(`/imports/${id}/rejects.csv`)
    expect(rejects.headers.get('content-type')).toContain('text/csv')
    expect(rejects.html).toContain('line,reason,Email,Name,Plan,MRR')
    // The cells go back as text, guarded like the export's (./text-guard.ts): `'1` is the text 1.
    expect(rejects.html).toContain("3,email is not a valid email address,bad-email,Bad,pro,'1")
  })

  it('a rejected-rows download, fixed and uploaded again, imports its dates, numbers and empty cells', async () => {
    const { b, projectId } = await signUpWithProject(t, 'refixer@example.com')
    const csv =
      'Email,Status,Last seen,MRR,Note\n' +
      'refix-ann@x.example,past_due,2026-03-04 14:05,42,\n' +
      'refix-bob@x.example,paid,2026-03-05,7,hi\n'
    const first = await upload(b, projectId, csv)
    const id = /\/imports\/(\d+)$/.exec(first.location!)![1]!
    await b.get(first.location!)
    await b.post(`/imports/${id}/mapping`, {
      target_0: 'email',
      target_1: 'status',
      target_2: 'last_activity',
      target_3: 'param',
      key_3: 'mrr',
      type_3: 'number',
      target_4: 'param',
      key_4: 'note',
      type_4: 'text',
    })
    await pollToEnd(b, id)
    await b.get(`/imports/${id}`)
    await b.post(`/imports/${id}/start`)
    expect((await pollToEnd(b, id)).at(-1)).toMatch(/<strong>1<\/strong> <span>rejected/)

    // The user fixes the status in the downloaded file and uploads it again, keeping the mapping
    // the page suggests.
    const rejects = (await b.get(`/imports/${id}/rejects.csv`)).html.replace('past_due', 'paid')
    const again = await upload(b, projectId, rejects.replace(/^\uFEFF/, ''))
    const id2 = /\/imports\/(\d+)$/.exec(again.location!)![1]!
    const page = (await b.get(again.location!)).html
    // The suggestion reads the cells without the download's text guard: MRR is a number again.
    expect(page).toMatch(
      /name="type_5"[^>]*>(<option value="\w+">\w+<\/option>)*<option value="number" selected/,
    )
    await b.post(`/imports/${id2}/mapping`, {
      target_0: 'skip',
      target_1: 'skip',
      target_2: 'email',
      target_3: 'status',
      target_4: 'last_activity',
      target_5: 'param',
      key_5: 'mrr',
      type_5: 'number',
      target_6: 'param',
      key_6: 'note',
      type_6: 'text',
    })
    const dry = (await pollToEnd(b, id2)).at(-1)!
    expect(dry).toMatch(/<strong>0<\/strong> <span>would be rejected/)
    await b.get(`/imports/${id2}`)
    await b.post(`/imports/${id2}/start`)
    expect((await pollToEnd(b, id2)).at(-1)).toMatch(/<strong>1<\/strong> <span>created/)
    const ann = await t.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['r.status', 'r.params', 'r.last_activity_at'])
      .where('c.email', '=', 'refix-ann@x.example')
      .executeTakeFirstOrThrow()
    // The empty Note cell stays no value (not the empty text), the date is the row's activity.
    expect(ann).toEqual({
      status: 'paid',
      params: { mrr: 42 },
      last_activity_at: new Date('2026-03-04T14:05:00Z'),
    })
  })

  it('joins First Name and Last Name columns into the name, in the dry run as in the import', async () => {
    const { b, projectId } = await signUpWithProject(t, 'names@example.com')
    const csv =
      'Email,First Name,Last Name\n' +
      'ada@x.example,Ada,Lovelace\n' +
      'grace@x.example,Grace,\n' +
      'hopper@x.example, ,Hopper\n'
    const res = await upload(b, projectId, csv)
    const id = /\/imports\/(\d+)$/.exec(res.location!)![1]!
    const page = (await b.get(res.location!)).html
    // Suggested, and offered by the dropdown.
    expect(page).toMatch(
      /name="target_1"[^>]*>(<option value="\w+">[^<]+<\/option>)*<option value="first_name" selected>First name</,
    )
    expect(page).toMatch(
      /name="target_2"[^>]*>(<option value="\w+">[^<]+<\/option>)*<option value="last_name" selected>Last name</,
    )
    await b.post(`/imports/${id}/mapping`, {
      target_0: 'email',
      target_1: 'first_name',
      target_2: 'last_name',
    })
    const dry = (await pollToEnd(b, id)).at(-1)!
    // The preview shows the name as it will be stored, once.
    expect(dry).toContain('"Ada Lovelace">Ada Lovelace</td>')
    expect(dry).toContain('"Grace">Grace</td>')
    expect(dry).toContain('"Hopper">Hopper</td>')
    expect(dry).not.toContain('undefined')
    await b.get(`/imports/${id}`)
    await b.post(`/imports/${id}/start`)
    expect((await pollToEnd(b, id)).at(-1)).toMatch(/<strong>3<\/strong> <span>created/)
    const names = await t.db
      .selectFrom('customers')
      .select(['email', 'name'])
      .where('email', 'in', ['ada@x.example', 'grace@x.example', 'hopper@x.example'])
      .orderBy('email')
      .execute()
    expect(names).toEqual([
      { email: 'ada@x.example', name: 'Ada Lovelace' },
      { email: 'grace@x.example', name: 'Grace' },
      { email: 'hopper@x.example', name: 'Hopper' },
    ])
  })

  it('says every row is rejected, not that they are all in TinyCRM already, when none is valid', async () => {
    const { b, projectId } = await signUpWithProject(t, 'allbad@example.com')
    const res = await upload(b, projectId, 'Email,Name\nnot-an-email,Ann\n')
    const id = /\/imports\/(\d+)$/.exec(res.location!)![1]!
    await b.get(res.location!)
    await b.post(`/imports/${id}/mapping`, { target_0: 'email', target_1: 'name' })
    const dry = (await pollToEnd(b, id)).at(-1)!
    expect(dry).toMatch(/<strong>1<\/strong> <span>would be rejected/)
    expect(dry).not.toContain('already in TinyCRM')
    expect(dry).toContain('Nothing to import: every row is rejected')
  })

  it('refuses a mapping: 303 back to the import’s page, the form as posted, saying why at the field at fault', async () => {
    const { b, projectId } = await signUpWithProject(t, 'mapper@example.com')
    const res = await upload(b, projectId, 'Email,Name,Plan\nann@x.example,Ann,pro\n')
    const page = res.location!
    await b.get(page)
    // No email column, and a param without a name.
    const posted = { target_0: 'skip', target_1: 'name', target_2: 'param', key_2: ' ' }
    const bad = await b.post(`${page}/mapping`, { ...posted, type_2: 'number' })
    expect(bad).toMatchObject({ status: 303, location: page })
    const shown = await b.follow(bad)
    expect(shown.status).toBe(200)
    expect(shown.html).toContain(
      'id="mapping-error">map exactly one column to email; column Plan: a param needs a name (1 to 200 characters)</p>',
    )
    const select = (name: string) =>
      new RegExp(`<select name="${name}"[^]*?</select>`).exec(shown.html)![0]
    expect(select('target_0')).toMatch(/<option value="skip" selected/)
    expect(select('target_2')).toMatch(/<option value="param" selected/)
    expect(select('type_2')).toMatch(/<option value="number" selected/)
    const key = /<input[^>]*name="key_2"[^>]*>/.exec(shown.html)![0]
    expect(key).toContain('value=" "')
    expect(key).toContain('aria-invalid="true"')
    expect(key).toContain('aria-describedby="mapping-error"')
    expect(shown.html.match(/aria-invalid/g)).toHaveLength(1)
    // Shown once: a reload is the form as the import has it, nothing stored.
    const reload = await b.get(page)
    expect(reload.html).not.toContain('mapping-error')
    expect(reload.html).toMatch(/<option value="email" selected/)
    const job = await t.db
      .selectFrom('imports')
      .select(['state', 'mapping'])
      .where('id', '=', Number(/\d+$/.exec(page)![0]))
      .executeTakeFirstOrThrow()
    expect(job).toEqual({ state: 'uploaded', mapping: null })
  })

  it('refuses a mapping of a file of many columns, still showing the form as posted', async () => {
    const { b, projectId } = await signUpWithProject(t, 'wide@example.com')
    const columns = Array.from({ length: 80 }, (_, i) => `column${i + 1}`)
    const res = await upload(b, projectId, `email,${columns}\nann@x.example,${columns}\n`)
    const page = res.location!
    await b.get(page)
    // Every field as the browser sends it (the form as suggested), the email column set to skip.
    const fields: Record<string, string> = { target_0: 'skip', key_0: 'email', type_0: 'text' }
    columns.forEach((c, i) => {
      Object.assign(fields, { [`target_${i + 1}`]: 'param', [`key_${i + 1}`]: c })
      fields[`type_${i + 1}`] = 'text'
    })
    const bad = await b.post(`${page}/mapping`, fields)
    expect(bad).toMatchObject({ status: 303, location: page })
    const shown = (await b.follow(bad)).html
    expect(shown).toContain('id="mapping-error">map exactly one column to email</p>')
    expect(shown).toMatch(/<select name="target_0"[^>]*>[^]*?<option value="skip" selected/)
  })

  it('refuses a file that is not CSV: back to the upload page, saying why at the file field and to choose it again, the project kept', async () => {
    const { b, projectId } = await signUpWithProject(t, 'badfile@example.com')
    const second = await b.post('/projects', { name: 'App B' })
    const otherId = Number(/\/projects\/(\d+)/.exec(second.location!)![1])
    const refused = async (res: Awaited<ReturnType<typeof upload>>, field: string) => {
      expect(res).toMatchObject({ status: 303, location: '/imports/new' })
      const page = await b.follow(res)
      expect(page.status).toBe(200)
      const input = new RegExp(`<(input|select)[^>]*name="${field}"[^>]*>`).exec(page.html)![0]
      expect(input).toContain('aria-invalid="true"')
      expect(input).toMatch(/aria-describedby="upload-error( file-hint)?"/)
      // Shown once: a reload is the plain form again.
      expect((await b.get('/imports/new')).html).not.toContain('id="upload-error"')
      return page.html
    }
    const broken = await refused(await upload(b, otherId, 'email\n"never closed\n'), 'file')
    expect(broken).toMatch(
      /id="upload-error">The file is not valid CSV: [^<]+\. Choose the file again\.</,
    )
    expect(broken).toMatch(new RegExp(`<option value="${otherId}" selected`))
    const empty = await refused(await upload(b, projectId, ''), 'file')
    expect(empty).toContain('id="upload-error">Choose a CSV file to upload.<')
    const headerOnly = await refused(await upload(b, projectId, 'email\n'), 'file')
    expect(headerOnly).toContain(
      'The file has a header row but no data rows. Choose the file again.',
    )
    expect(headerOnly).toMatch(new RegExp(`<option value="${projectId}" selected`))
    expect((await b.get('/imports/new')).html).toContain('No imports yet.')
  })

  it('exports the table filter as CSV', async () => {
    const { b, projectId } = await signUpWithProject(t, 'exporter@example.com')
    const res = await upload(b, projectId, 'email,plan\nx@x.example,pro\ny@x.example,basic\n')
    const id = /\/imports\/(\d+)$/.exec(res.location!)![1]!
    await b.get(res.location!)
    await b.post(`/imports/${id}/mapping`, {
      target_0: 'email',
      target_1: 'param',
      key_1: 'plan',
      type_1: 'text',
    })
    await pollToEnd(b, id)
    await b.get(`/imports/${id}`)
    await b.post(`/imports/${id}/start`)
    await pollToEnd(b, id)
    const csv = await b.get('/customers/export.csv?p=plan:eq:pro')
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="customers-/)
    const lines = csv.html.trim().split('\r\n')
    expect(lines[0]).toContain(
      'email,name,first_seen,last_activity,app-a,app-a:first_seen,app-a:last_activity,app-a.plan',
    )
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('x@x.example')
  })

  it('refuses to export a filter naming a project the account does not have (400)', async () => {
    const { b } = await signUpWithProject(t, 'export-slug@example.com')
    const res = await b.get('/customers/export.csv?not_in=app-x')
    expect(res.status).toBe(400)
    expect(res.headers.get('content-disposition')).toBeNull()
    expect(res.html).toContain("No project 'app-x' in your account (your projects: app-a)")
    expect((await b.get('/customers/export.csv?not_in=app-a')).status).toBe(200)
  })

  it('keeps imports to their account', async () => {
    const { b, projectId } = await signUpWithProject(t, 'owner-imp@example.com')
    const res = await upload(b, projectId, 'email\nz@x.example\n')
    const id = /\/imports\/(\d+)$/.exec(res.location!)![1]!
    const { b: other, projectId: theirs } = await signUpWithProject(t, 'other-imp@example.com')
    expect((await other.get(`/imports/${id}`)).status).toBe(404)
    expect((await other.get(`/imports/${id}/progress`, { 'HX-Request': 'true' })).status).toBe(404)
    expect((await other.get(`/imports/${id}/rejects.csv`)).status).toBe(404)
    await other.get(`/imports/new`)
    expect((await other.post(`/imports/${id}/start`)).status).toBe(404)
    expect((await other.post(`/imports/${id}/mapping`, { target_0: 'email' })).status).toBe(404)
    // Uploading into someone else's project is refused too, at the project field.
    const into = await upload(other, projectId, 'email\nq@x.example\n')
    expect(into).toMatchObject({ status: 303, location: '/imports/new' })
    const refused = (await other.follow(into)).html
    expect(refused).toContain(
      'id="upload-error">Pick a project of yours, then choose the file again.',
    )
    expect(/<select[^>]*name="project"[^>]*>/.exec(refused)![0]).toContain('aria-invalid="true"')
    expect(theirs).not.toBe(projectId)
    expect((await new TestBrowser(t.app).get('/imports/new')).status).toBe(303)
  })
})
