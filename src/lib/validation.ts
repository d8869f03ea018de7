// The one way a zod failure becomes an ApiError: `validation_failed` (400) whose details name each
// bad field ({ path, message }) and whose message says them all, `path: message; …`. The ingest
// API, the account API and the filter parser all report through it.
import * as z from 'zod/mini'
import { en } from 'zod/locales'
import { ApiError, type ErrorDetail } from './errors.js'

// zod/mini (the Worker bundle's size) loads no locale: English, so the messages a schema leaves to
// zod ("Invalid input: expected number, received string") read as they did with classic zod.
z.config(en())

export interface IssueOptions {
  /** Put before every path: `batch.3` for the fourth item of a batch. */
  prefix?: string
  /** Starts the message: `Invalid filter: …`. */
  title?: string
  /** How an issue's path reads; by default dotted (`params.plan`), `(body)` for the whole body. */
  path?: (path: PropertyKey[]) => string
  /** How an unknown key is reported; by default one detail per object: `unknown field(s): a, b`. */
  unknownKey?: (key: string) => ErrorDetail
}

export function issueDetails(error: z.core.$ZodError, opts: IssueOptions = {}): ErrorDetail[] {
  return error.issues.flatMap((issue): ErrorDetail[] => {
    if (issue.code === 'unrecognized_keys' && opts.unknownKey)
      return issue.keys.map(opts.unknownKey)
    const own = opts.path ? opts.path(issue.path) : issue.path.map(String).join('.')
    const path = [opts.prefix, own].filter(Boolean).join('.') || '(body)'
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : issue.message
    return [{ path, message }]
  })
}

export function validationError(error: z.core.$ZodError, opts: IssueOptions = {}): ApiError {
  const details = issueDetails(error, opts)
  // "email is required" already names its field; "batch.1.email: …" says where the rest are.
  const parts = details.map((d) =>
    d.message.startsWith(`${d.path} `) ? d.message : `${d.path}: ${d.message}`,
  )
  return new ApiError(
    'validation_failed',
    (opts.title ? `${opts.title}: ` : '') + parts.join('; '),
    details,
  )
}
