// Which bodies are Segment's (src/segment/routes.ts serves both Segment's calls and TinyCRM's own
// on /v1/identify and /v1/batch), and where a Segment batch keeps its events.

/** The envelope fields of a Segment batch besides `batch` (TinyCRM's own batch has only `batch`). */
const ENVELOPE_FIELDS = ['writeKey', 'sentAt', 'context', 'integrations', 'metadata']

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Whether a call (or a batch item) is Segment's: it carries one of Segment's identity fields
 * (`userId`, `anonymousId`, an alias's `previousId`) or a `messageId`, which every Segment call
 * has and TinyCRM's own shape never does. Anything else is TinyCRM's own shape, whose unknown
 * fields stay refused.
 */
export function isSegmentShaped(value: unknown): boolean {
  return isObject(value) && SEGMENT_MARKS.some((field) => field in value)
}
const SEGMENT_MARKS = ['userId', 'anonymousId', 'previousId', 'messageId']

/** Whether a /v1/batch body is Segment's: an envelope field or any item in Segment's shape, or
 *  what Segment's Webhooks (Actions) destination posts — one event, or a bare array of events. */
export function isSegmentBatch(body: unknown): boolean {
  if (Array.isArray(body)) return true
  if (!isObject(body)) return false
  if (isSegmentShaped(body) || ENVELOPE_FIELDS.some((field) => field in body)) return true
  return Array.isArray(body.batch) && body.batch.some(isSegmentShaped)
}

/** The events of a Segment batch body, in any of the shapes isSegmentBatch takes. */
export function batchEvents(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body
  if (!isObject(body)) return undefined
  if (Array.isArray(body.batch)) return body.batch
  return isSegmentShaped(body) ? [body] : undefined
}
