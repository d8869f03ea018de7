// The one way a zod failure becomes an ApiError: `validation_failed` (400) whose details name each
// bad field ({ path, message }) and whose message says them all (`path must …; other: …`). The ingest
// API, the account API and the filter parser all report through it.
import * as z from 'zod/mini'
import { ApiError, type ErrorDetail } from './errors.js'

/** What a field is, as a message says it: "must be a string", "must be at most 200 characters". */
const article = (word: string) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`
const typeName = (value: unknown) =>
  value === null ? 'null' : article(Array.isArray(value) ? 'array' : typeof value)
const UNITS: Record<string, string> = { string: ' characters', array: ' items' }

/** The message of an issue a schema left to zod (most say their own): in the words of the rest,
 *  `<field> must be …`, the field put in front by validationError. zod/mini loads no locale (the
 *  Worker bundle's size): zod's English one cost 1.1 KB of it gzipped, and its wording
 *  ("Invalid input: expected number, received string") read unlike this app's messages. */
function defaultMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (${article(issue.expected)})`
        : `must be ${article(issue.expected)}, not ${typeName(issue.input)}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => String(v)).join(', ')}`
    case 'too_big': {
      const bound = issue.exact ? 'exactly' : issue.inclusive ? 'at most' : 'less than'
      return `must be ${bound} ${String(issue.maximum)}${UNITS[issue.origin] ?? ''}`
    }
    case 'too_small': {
      const bound = issue.exact ? 'exactly' : issue.inclusive ? 'at least' : 'more than'
      return `must be ${bound} ${String(issue.minimum)}${UNITS[issue.origin] ?? ''}`
    }
    case 'invalid_format':
      return issue.format === 'regex'
        ? 'is not in the expected form'
        : `must be a valid ${issue.format}`
    default:
      return 'is not valid'
  }
}
z.config({ localeError: defaultMessage })

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
  // "email is required" already names its field, and "must be a number" reads after it;
  // "batch.1.email: …" says where the rest are.
  const parts = details.map((d) =>
    d.message.startsWith(`${d.path} `)
      ? d.message
      : /^(must|is) /.test(d.message)
        ? `${d.path} ${d.message}`
        : `${d.path}: ${d.message}`,
  )
  return new ApiError(
    'validation_failed',
    (opts.title ? `${opts.title}: ` : '') + parts.join('; '),
    details,
  )
}
