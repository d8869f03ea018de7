// Anyone who can set a cookie for this host (another app on the same machine — cookies do not tell
// ports apart —, a sibling subdomain, a network attacker over http) can plant a flash cookie. The
// dashboard must show nothing of it: no "your key was revoked, paste it here" of theirs, no key,
// no button. Only a flash this server signed for this browser is shown, once.
import { describe, expect, it } from 'vitest'
import { generateSignedCookie } from 'hono/cookie'
import { useTestApp } from '../../../test/support/db.js'
import { logInSeeded } from '../../../test/support/fixtures.js'
import { FLASH_COOKIE, decodeFlash, encodeFlash } from '../../lib/flash.js'

const t = useTestApp()

const PHISH = 'Your key was revoked. Paste your key here'

/** The value of a cookie as it would be sent back, from a Set-Cookie line made for it. */
const cookieValue = (line: string) => line.split(';')[0]!.slice(line.indexOf('=') + 1)

describe('flash cookie', () => {
  it('keeps the Undo of a merge', () => {
    const value = encodeFlash('/customers/7', { message: 'Merged', undo: '/merges/12/undo' })
    expect(decodeFlash(value)?.flash.undo).toBe('/merges/12/undo')
  })

  it('keeps a refused form’s field, code and draft, within a cookie’s size and names of fields', () => {
    const refused = { form: 'merge', field: 'other', draft: { other: 'a@x.io', keep: 'other' } }
    const value = encodeFlash('/customers/7/manage', { message: 'No such customer', refused })
    expect(decodeFlash(value)?.flash.refused).toEqual(refused)
    const taken = { form: 'create', field: 'name', code: 'conflict', draft: { name: 'App A' } }
    expect(decodeFlash(encodeFlash('/projects', { message: 'm', refused: taken }))).toEqual({
      path: '/projects',
      flash: { message: 'm', refused: taken },
    })
    const odd = {
      form: 'merge',
      field: '<b>',
      code: 'not a code',
      draft: { other: 'x'.repeat(2000), 'a b': 'c' },
    }
    expect(decodeFlash(encodeFlash('/', { message: 'm', refused: odd }))?.flash.refused).toEqual({
      form: 'merge',
    })
  })

  it('sends only what the page will show: a message too long cut, a draft too long left out', () => {
    // A refused import mapping names columns of the file, any number of them: it still says why.
    const refused = { form: 'mapping', field: 'key_3', draft: { key_3: 'k'.repeat(2000) } }
    const value = encodeFlash('/imports/1', { message: 'm'.repeat(5000), refused })
    expect(decodeFlash(value)?.flash).toEqual({
      message: `${'m'.repeat(599)}…`,
      refused: { form: 'mapping', field: 'key_3' },
    })
  })

  it('gives no Undo button to any route but a merge undo, even in a well-formed flash', () => {
    for (const undo of [
      '/projects/1/keys/1/revoke',
      '/settings/tokens/1/revoke',
      '/settings/team/invites',
      '/projects/1/delete',
      '/merges/12/undo/../../settings/team/invites',
    ]) {
      const value = encodeFlash('/customers', { message: 'Press Undo', undo })
      expect(decodeFlash(value)?.flash.undo).toBeUndefined()
    }
  })

  it('a flash is shown once on the page it names, then gone', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const saved = await b.post(`/projects/${project.id}`, { name: 'Renamed', color: '#be123c' })
    expect(saved.status).toBe(303)
    const real = decodeURIComponent(b.cookies.get(FLASH_COOKIE)!) // message.signature
    const shown = await b.follow(saved)
    expect(shown.status).toBe(200)
    expect(shown.html).toContain('Saved the name and colour.')
    expect(b.cookies.has(FLASH_COOKIE)).toBe(false)
    expect((await b.get(`/projects/${project.id}`)).html).not.toContain('Saved the name')

    // The same cookie with its message changed is not this server's: not shown, and cleared.
    const dot = real.lastIndexOf('.')
    expect(dot).toBeGreaterThan(0) // signed
    const signed = decodeFlash(real.slice(0, dot))!
    expect(signed.flash.message).toBe('Saved the name and colour.')
    const forged = encodeFlash(signed.path, { message: PHISH }) + real.slice(dot)
    b.cookies.set(FLASH_COOKIE, encodeURIComponent(forged))
    const page = await b.get(`/projects/${project.id}`)
    expect(page.status).toBe(200)
    expect(page.html).not.toContain(PHISH)
    expect(b.cookies.has(FLASH_COOKIE)).toBe(false)
  })

  it('shows nothing of a planted unsigned cookie, clears it, and never fails on one', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project } = seeded.projects[0]!
    const planted = [
      encodeFlash('/projects', { message: PHISH, secret: 'tcrm_proj_planted' }),
      encodeFlash('/merges', { message: PHISH, undo: '/merges/12/undo' }), // a page of no flash
      `${encodeFlash('/projects', { message: PHISH })}.${'A'.repeat(43)}=`,
      'not-a-flash',
      '%E0%A4%A',
      '.',
    ]
    for (const value of planted) {
      b.cookies.set(FLASH_COOKIE, value)
      const page = await b.get('/projects')
      expect(page.status).toBe(200)
      expect(page.html).not.toContain(PHISH)
      expect(page.html).not.toContain('tcrm_proj_planted')
      expect(page.html).not.toContain('action="/merges/12/undo"')
      expect(b.cookies.has(FLASH_COOKIE)).toBe(false)
    }
    expect((await b.get(`/projects/${project.id}`)).status).toBe(200)
  })

  it("shows nothing of a flash signed with another secret: another browser's, or any other", async () => {
    const victim = (await logInSeeded(t)).b
    const attacker = await logInSeeded(t)
    // A real flash of the attacker's own browser, the message partly their text (a project name).
    await attacker.b.get('/projects')
    const created = await attacker.b.post('/projects', { name: PHISH })
    expect(created.status).toBe(303)
    const theirs = attacker.b.cookies.get(FLASH_COOKIE)!
    const path = new URL(created.location!, 'http://localhost').pathname
    const otherKey = cookieValue(
      await generateSignedCookie(
        FLASH_COOKIE,
        encodeFlash('/projects', { message: PHISH }),
        'another secret',
      ),
    )
    for (const [value, at] of [
      [theirs, path],
      [otherKey, '/projects'],
    ] as const) {
      victim.cookies.set(FLASH_COOKIE, value)
      const page = await victim.get(at)
      expect(page.html).not.toContain(PHISH)
      expect(victim.cookies.has(FLASH_COOKIE)).toBe(false)
    }
    // Where it was set, it still works.
    expect((await attacker.b.follow(created)).html).toContain(`Created ${PHISH}`)
  })
})
