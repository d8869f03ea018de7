// Where this server is reached, for URLs shown to people (install snippets, webhook URLs): the
// configured TINYCRM_PUBLIC_URL, else the origin of the request being answered.
import type { Context } from 'hono'

export function publicBaseUrl(c: Context, configured: string | undefined): string {
  const base = configured?.replace(/\/+$/, '')
  if (base) return base
  const url = new URL(c.req.url)
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim()
  return `${proto === 'https' || proto === 'http' ? proto : url.protocol.slice(0, -1)}://${url.host}`
}
