// The flash cookie is not signed: any site that can set a cookie for this host (another app on the
// same machine — cookies do not tell ports apart — or a sibling subdomain) can plant one. What it
// plants must not become a button that posts the victim's CSRF token to a route of its choosing.
import { describe, expect, it } from 'vitest'
import { encodeBase64Url } from 'hono/utils/encode'
import { useTestApp } from '../../../test/support/db.js'
import { logInSeeded } from '../../../test/support/fixtures.js'
import { FLASH_COOKIE, decodeFlash, encodeFlash } from '../../lib/flash.js'

const t = useTestApp()

const planted = (flash: object) =>
  encodeBase64Url(new TextEncoder().encode(JSON.stringify(flash)).buffer)

describe('flash cookie', () => {
  it('keeps the Undo of a merge', () => {
    const value = encodeFlash('/customers/7', { message: 'Merged', undo: '/merges/12/undo' })
    expect(decodeFlash(value)?.flash.undo).toBe('/merges/12/undo')
  })

  it('shows no Undo button for a planted cookie naming any other route', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project } = seeded.projects[0]!
    for (const undo of [
      `/projects/${project.id}/keys/1/revoke`,
      '/settings/tokens/1/revoke',
      '/settings/team/invites',
      `/projects/${project.id}/delete`,
      '/merges/12/undo/../../settings/team/invites',
    ]) {
      expect(
        decodeFlash(planted({ path: '/customers', message: 'Press Undo', undo }))?.flash.undo,
      ).toBeUndefined()
      b.cookies.set(FLASH_COOKIE, planted({ path: '/projects', message: 'Press Undo', undo }))
      const page = await b.get('/projects')
      expect(page.status).toBe(200)
      expect(page.html).toContain('Press Undo')
      expect(page.html).not.toContain(`action="${undo}"`)
    }
  })
})
