// A project deleted while a CSV file is uploading into it (the upload streams for as long as the
// file takes to send). The chunks stored after the deletion have no import to belong to any more:
// measured on PostgreSQL over HTTP, the upload answered a 500 (a foreign-key violation on
// import_chunks). It must answer that the project is gone, and keep nothing of the file.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { ApiError } from '../lib/errors.js'
import { deleteProject } from '../projects/delete.js'
import { createImport } from './upload.js'

let t: TestDb
beforeAll(async () => {
  t = await openTestDb()
})
afterAll(() => t.close())

const importsOf = (accountId: number) =>
  t.db.selectFrom('imports').select('id').where('account_id', '=', accountId).execute()

const rowsText = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `p${from + i}@example.com,x\n`).join('')

it('answers 404 naming the project, and keeps nothing, when the project is deleted mid-upload', async () => {
  const { accountId, projects } = await seedAccount(t.db, ['Doomed', 'Kept'])
  const projectId = projects[0]!.project.id
  const pieces = ['email,plan\n' + rowsText(0, 1500), rowsText(1500, 3000)]
  let sent = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        // The owner deletes the project once the upload has made its import.
        if (sent === 1) {
          while (!(await importsOf(accountId)).length) await new Promise((r) => setTimeout(r, 5))
          expect(await deleteProject(t.db, accountId, projectId)).toBeTruthy()
        }
        if (sent === pieces.length) return c.close()
        c.enqueue(new TextEncoder().encode(pieces[sent++]))
      },
    },
    { highWaterMark: 0 },
  )
  const upload = createImport(t.db, { accountId, projectId, filename: 'f.csv', body })
  await expect(upload).rejects.toBeInstanceOf(ApiError)
  await expect(upload).rejects.toMatchObject({ code: 'not_found' })
  await expect(upload).rejects.toThrow(/project/i)
  expect(await importsOf(accountId)).toEqual([])
  expect(await t.db.selectFrom('import_chunks').select('import_id').execute()).toEqual([])
})

it('answers 404 when the project is gone before the file arrives', async () => {
  const { accountId, projects } = await seedAccount(t.db, ['Gone', 'Kept'])
  const projectId = projects[0]!.project.id
  await deleteProject(t.db, accountId, projectId)
  const body = new Blob(['email\na@example.com\n']).stream()
  const upload = createImport(t.db, { accountId, projectId, filename: 'f.csv', body })
  await expect(upload).rejects.toMatchObject({ code: 'not_found' })
})
