// A request body sent compressed: `Content-Encoding: gzip` (as Segment's server libraries may send
// their calls) is inflated here, after the route's body limit has capped the bytes sent, and left
// where the route reads its body (Hono's body cache), so the route reads it as if sent plain. The
// limit holds for the inflated bytes too: inflating stops once past it (413), so a zip bomb never
// fills memory. A body that does not inflate is a 400; any other encoding a 415.
import type { MiddlewareHandler } from 'hono'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'

export const gunzip: MiddlewareHandler<HonoEnv> = async function gunzip(c, next) {
  const encoding = c.req.header('Content-Encoding')?.toLowerCase()
  if (encoding && encoding !== 'identity') {
    if (encoding !== 'gzip') {
      throw new ApiError(
        'unsupported_media_type',
        `Content-Encoding must be gzip or none (got '${encoding}')`,
      )
    }
    // A number: the route's body limit runs first.
    const limit = c.var.bodyLimit as number
    const chunks: Uint8Array<ArrayBuffer>[] = []
    let size = 0
    try {
      const inflated = c.req.raw.body!.pipeThrough(new DecompressionStream('gzip'))
      // Leaving the loop cancels the stream: nothing more is read or inflated.
      for await (const chunk of inflated as unknown as AsyncIterable<Uint8Array<ArrayBuffer>>) {
        chunks.push(chunk)
        if ((size += chunk.length) > limit) break
      }
    } catch {
      throw new ApiError('invalid_json', 'The request body is not valid gzip')
    }
    if (size > limit) {
      // As the body limit words it (src/middleware/body-limit) for the routes' KB limits.
      throw new ApiError('payload_too_large', `Request body is over the ${limit / 1024} KB limit`)
    }
    ;(c.req.bodyCache as Record<string, unknown>).arrayBuffer = new Blob(chunks).arrayBuffer()
  }
  return next()
}
