// Small request helpers every router shares, so each rule is written once: how an id is read from
// the path, how a bearer token is read from the header, how a form's fields and a JSON body are
// taken.
import type { Context } from 'hono'
import { zValidator } from '@hono/zod-validator'
import type { z } from 'zod/mini'
import { ApiError } from './errors.js'
import { validationError } from './validation.js'

/** A numeric id from the path; anything else is "No such <what>" (404), never a 400 or a 500. */
export function idParam(c: Context, name: string, what: string): number {
  const raw = c.req.param(name) ?? ''
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError('not_found', `No such ${what}`)
  return Number(raw)
}

/** The token of `Authorization: Bearer <token>`, or undefined when there is none. */
export function bearerToken(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1]
}

/** A posted form (urlencoded or multipart), parsed once; a body that is not the form its type
 *  says is a 400, not a 500. */
export async function formBody(c: Context): Promise<Record<string, string | File>> {
  try {
    return (await c.req.parseBody()) as Record<string, string | File>
  } catch (err) {
    if (err instanceof ApiError || !(err instanceof TypeError)) throw err
    throw new ApiError(
      'validation_failed',
      'The form could not be read: its body is not what its Content-Type says',
    )
  }
}

/** A posted form's text fields: `field(name)` is the value, or undefined when the field is missing
 *  or is a file (never the text '[object File]'). */
export async function formFields(c: Context): Promise<(name: string) => string | undefined> {
  const body = await formBody(c)
  return (name) => {
    const value = body[name]
    return typeof value === 'string' ? value : undefined
  }
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/
// analytics.js posts as text/plain (no CORS preflight); the server libraries as JSON.
const JSON_OR_TEXT_MEDIA_TYPE = /^(application\/([\w.-]+\+)?json|text\/plain)$/

/** The media type a request says its body is: lower case, without parameters, '' for none. */
const mediaType = (c: Context) =>
  (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()

/** The 415 for a body sent as `type`, where `wanted` says what is taken. */
const refusedMediaType = (type: string, wanted: string) =>
  new ApiError(
    'unsupported_media_type',
    `Content-Type must be ${wanted} (got ${type ? `'${type}'` : 'none'})`,
  )

/** The 415 for a body not sent as JSON (`application/json` or a `+json` type), else undefined. */
export function notSentAsJson(c: Context): ApiError | undefined {
  const type = mediaType(c)
  return JSON_MEDIA_TYPE.test(type) ? undefined : refusedMediaType(type, 'application/json')
}

/** zValidator's hook for every JSON route: a zod failure the one mapping of ./validation.ts, so
 *  the error envelope is the same whichever route refused the body. */
function jsonHook(result: { success: boolean; error?: z.core.$ZodError }): void {
  if (!result.success && result.error) throw validationError(result.error)
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** JSON is UTF-8 (RFC 8259): a body with other bytes would be read with U+FFFD in their place,
 *  and stored so. The 400 for such a body, else undefined. Reads the body as bytes and leaves
 *  their text where `c.req.json()` reads it (Hono's body cache), so the JSON parsed afterwards is
 *  of the very same bytes. Left to convert the bytes itself, Hono builds a web Response and its
 *  stream: in a CPU profile of the Node server under identify calls, 9 % of its time. */
export async function nonUtf8Body(c: Context): Promise<ApiError | undefined> {
  try {
    const text = UTF8.decode(await c.req.arrayBuffer())
    // Hono's type says the cache holds the text; it holds (and reads back) its promise.
    ;(c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text)
    return undefined
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return new ApiError('invalid_json', 'The request body is not valid UTF-8')
  }
}

/** Takes a JSON body checked by `schema` (then `c.req.valid('json')`): 415 unless it is sent as
 *  JSON, 400 `invalid_json` when it does not parse or is not UTF-8, 400 naming each bad field
 *  otherwise. */
export function jsonBody<T extends z.core.$ZodType>(schema: T) {
  const validator = zValidator('json', schema, jsonHook)
  return (async (c, next) => {
    // Checked here: the validator would check `{}` for a body not sent as JSON.
    const problem = notSentAsJson(c) ?? (await nonUtf8Body(c))
    if (problem) throw problem
    return validator(c, next)
  }) as typeof validator
}

/** The body as the ingest API reads it (src/ingest/routes.ts, src/segment/routes.ts), once,
 *  before it knows whose shape the body is: JSON sent as JSON or as text/plain, parsed from UTF-8
 *  bytes (see nonUtf8Body). What cannot be read comes back as its error (415, 400 `invalid_json`)
 *  instead of thrown, for the route to decide which error is the caller's to hear first. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = mediaType(c)
  if (type && !JSON_OR_TEXT_MEDIA_TYPE.test(type)) {
    return refusedMediaType(type, 'application/json or text/plain')
  }
  const notUtf8 = await nonUtf8Body(c)
  if (notUtf8) return notUtf8
  try {
    return (await c.req.json()) as unknown
  } catch {
    return new ApiError('invalid_json', 'The request body is not valid JSON')
  }
}
