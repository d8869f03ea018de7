// Files that are not CSV text, as people upload them: Excel's "Unicode Text" (UTF-16, with its
// byte-order mark), a file with a NUL byte somewhere, and one that is not UTF-8. Each is refused with a 400 that names the
// file field and says what to do, and nothing of it is stored.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { signUpWithProject } from '../../test/support/fixtures.js'

const t = useTestApp()

const importCount = async () => (await t.db.selectFrom('imports').select('id').execute()).length

/** Uploads `body` as the upload page's script does (the raw file to /imports/stream). */
async function upload(email: string, body: Blob | string) {
  const { b, projectId } = await signUpWithProject(t, email)
  await b.get(`/imports/new?project=${projectId}`)
  const res = await b.request(`/imports/stream?project=${projectId}&name=people.csv`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': b.csrf, Accept: 'application/json' },
  })
  return { status: res.status, error: JSON.parse(res.html).error }
}

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => `p${i}@bad.example,Person ${i}`).join('\n')

describe('uploading a file that is not CSV text', () => {
  it('says a UTF-16 file must be saved as CSV UTF-8', async () => {
    const csv = `email,name\n${rows(3)}\n`
    const littleEndian = Buffer.from(`\uFEFF${csv}`, 'utf16le')
    const bigEndian = Buffer.from(littleEndian).swap16()
    const before = await importCount()
    for (const [n, body] of [littleEndian, bigEndian].entries()) {
      const res = await upload(`utf16-${n}@example.com`, new Blob([body]))
      expect(res.status).toBe(400)
      expect(res.error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: 'file' }],
      })
      expect(res.error.message).toMatch(/UTF-16.*save it as CSV UTF-8/)
    }
    expect(await importCount()).toBe(before)
  })

  it('names the line of a NUL character', async () => {
    // Line 1 is the header: the row of line 2,201 is the 2,200th, in the third stored chunk.
    const lines = `email,name\n${rows(2500)}\n`.split('\n')
    lines[2200] = 'nul@bad.example,Nu\u0000l'
    const before = await importCount()
    const res = await upload('nul@example.com', lines.join('\n'))
    expect(res.status).toBe(400)
    expect(res.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'file' }] })
    expect(res.error.message).toMatch(/^Line 2201 contains a NUL character/)
    expect(await importCount()).toBe(before)

    const header = await upload('nul-header@example.com', `email,na\u0000me\n${rows(2)}\n`)
    expect(header.error.message).toMatch(/^Line 1 contains a NUL character/)
  })

  it('names the line of the first byte that is not UTF-8 (a spreadsheet\'s Windows-1252 "CSV")', async () => {
    // "José" in Windows-1252: é is the single byte 0xE9, which UTF-8 never has alone.
    const lines = `email,name\n${rows(1500)}\n`.split('\n')
    lines[1200] = 'jose@bad.example,Jos\u00e9'
    const body = Buffer.from(lines.join('\n'), 'latin1')
    const before = await importCount()
    const res = await upload('cp1252@example.com', new Blob([body]))
    expect(res.status).toBe(400)
    expect(res.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'file' }] })
    expect(res.error.message).toBe(
      'Line 1201 is not UTF-8 text (a spreadsheet\'s plain "CSV" is often Windows-1252): save the file as CSV UTF-8 and upload it again',
    )
    expect(await importCount()).toBe(before)
  })
})
