// The error every layer throws: a code (which maps to an HTTP status), a message a person can act
// on, and per-field details. Nothing here knows about HTTP frameworks, pages or databases, so the
// CLI and the data functions can throw it without loading either; the API answers it as JSON and
// the dashboard as a page (src/middleware/on-error).
export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode]

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `params` or `batch.3.email`. */
  path: string
  message: string
}

export class ApiError extends Error {
  override name = 'ApiError' as const
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
  get status(): ErrorStatus {
    return ERROR_STATUS[this.code]
  }
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    }
  }
}
