// tinycrm-sdk: the whole client. It needs only `fetch`, so it runs on Node 18+, Bun, Deno, Cloudflare
// Workers, Vercel and browsers. Every call resolves to { data, error } and never rejects, so an
// unawaited call can never crash its host process with an unhandled rejection.
//
// Written for readers: the minifier does the golfing. The budget (under 2 KB minified, checked by
// test/package.test.ts) is why there is one request path, one result shape and no classes of errors.

import type {
  IdentifyInput,
  PingInput,
  BatchItem,
  IdentifyData,
  PingData,
  BatchItemResult,
  BatchData,
  ErrorCode,
  TinyCRMError,
  Result,
  TinyCRMOptions,
} from './types.js'

export type * from './types.js'

/** TinyCRM's answers: `ok: true` and the data, or `{ error }`; other servers' are neither. */
type Answer = { ok?: true; error?: TinyCRMError; results?: BatchItemResult[] }

const success = <T>(data: T): Result<T> => ({ data, error: null })
/** A failed Result. The server's error body, when there is one, overrides `code` and `message`. */
const failure = (
  status: number,
  code: ErrorCode,
  message: string,
  fromServer?: Partial<TinyCRMError>,
): Result<never> => ({ data: null, error: { code, message, ...fromServer, status } })

const INVALID = 'validation_failed'
const NOT_AN_EMAIL = 'no valid email'

// 160,000 UTF-16 code units are at most 480 KB of UTF-8: under the server's 500 KB per batch.
const MAX_BATCH_CHARS = 160_000

export class TinyCRM {
  /** Creates or updates the customer in this product (an upsert; products merge by email). */
  declare readonly identify: (input: IdentifyInput) => Promise<Result<IdentifyData>>
  /** Marks the customer active in this product now; creates nothing. */
  declare readonly ping: {
    (email: string): Promise<Result<PingData>>
    (input: PingInput): Promise<Result<PingData>>
  }
  /** Sends up to 5000 items (500 KB) in one request; each item succeeds or fails alone. */
  declare readonly batch: (items: BatchItem[]) => Promise<Result<BatchData>>
  /** Sends anything queued and resolves when every call made so far has settled. Never rejects. */
  declare readonly flush: () => Promise<void>

  /**
   * `new TinyCRM('tcrm_proj_…')` (the server from env `TINYCRM_URL`) or
   * `new TinyCRM({ apiKey, baseUrl, … })`. Never throws: a missing key or URL is reported by each call.
   */
  constructor(apiKey: string | undefined)
  constructor(options: TinyCRMOptions)
  constructor(keyOrOptions: string | undefined | TinyCRMOptions) {
    // The methods are closures over this state rather than prototype methods, so that
    // `const { identify } = crm` works, and so that the minifier can shorten every name.
    const options =
      keyOrOptions && typeof keyOrOptions === 'object' ? keyOrOptions : { apiKey: keyOrOptions }
    const {
      apiKey,
      // Read through globalThis: browsers and Workers have no `process`, and bundlers must not
      // inline a polyfill for it.
      baseUrl = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
        ?.env?.TINYCRM_URL,
      timeoutMs = 5000,
      retries = 2,
      onError = (error: TinyCRMError) => console.error('tinycrm:', error),
      flushIntervalMs = 1000,
      flushAt = options.batch || options.flushIntervalMs ? 20 : 0,
    } = options

    // Checked once, and reported by every call. Customer data goes only to a server the user named.
    const misconfigured = !apiKey
      ? failure(401, 'unauthorized', 'No API key given')
      : !baseUrl && failure(0, 'missing_url', 'Set TINYCRM_URL or baseUrl')

    /** The one request path: a timeout per attempt, retries with jittered exponential backoff. */
    const send = async (path: string, body: string) => {
      if (misconfigured) return misconfigured
      const url = baseUrl!.replace(/\/*$/, '/v1/') + path
      for (let attempt = 0; ; attempt++) {
        let result
        // 150–300 ms, then 300–600 ms, … up to 4–8 s: the jitter spreads out clients that failed
        // together.
        let delay = Math.min(150 * 2 ** attempt, 4000) * (1 + Math.random())
        try {
          const response = await (options.fetch ?? fetch)(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          })
          const { status } = response
          const json = (await response.json().catch(() => ({}))) as Answer
          // TinyCRM's bodies say ok: true, or carry an error; anything else (a proxy's page, a
          // wrong URL's HTML, even with a 200) is an http_error.
          if (json.ok) return success(json)
          result = failure(status, 'http_error', `HTTP ${status}: ${url}`, json.error)
          // Every endpoint is an idempotent upsert, so a request the server could not serve right
          // now is safe to send again. Other 4xx are the caller's mistake: retrying cannot help.
          if (status < 500 && ![408, 429].includes(status)) return result
          // Retry-After (seconds) replaces the backoff; a date form, or none, keeps the backoff.
          delay = Number(response.headers.get('retry-after')) * 1000 || delay
        } catch (error) {
          // No response: it may or may not have arrived, and sending it again is safe (see above).
          result = failure(
            0,
            (error as Error).name === 'TimeoutError' ? 'timeout' : 'network_error',
            `${(error as Error).message}: ${url}`,
          )
        }
        // A Retry-After over a minute is not worth holding a request (or a function) open for.
        if (attempt >= retries || delay > 60_000) return result
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }

    // Batching: queued calls go out as one /v1/batch request once `flushAt` of them are queued,
    // when the body would pass MAX_BATCH_CHARS, or `flushIntervalMs` after the first was queued.
    let queuedJson = '' // the queued items' JSON, comma-separated
    let waiting: ((result: Result<unknown>) => void)[] = [] // their callers, in the same order
    let timer: ReturnType<typeof setTimeout> | 0 = 0 // 0: no batch is waiting for its interval

    const sendQueue = async () => {
      clearTimeout(timer)
      timer = 0
      const body = `{"batch":[${queuedJson}]}`
      const callers = waiting
      queuedJson = ''
      waiting = []
      if (!callers.length) return
      const result = await send('batch', body)
      // Each call gets its own item's result; a failed request (no results) is every call's error.
      callers.forEach((resolve, index) => {
        const item: BatchItemResult | undefined = result.data?.results?.[index]
        resolve(
          !item
            ? result
            : item.ok
              ? success(item)
              : { data: null, error: { ...(item.error as TinyCRMError), status: 400 } },
        )
      })
    }

    const enqueue = (type: string, input: object) =>
      new Promise<Result<unknown>>((resolve) => {
        const json = JSON.stringify({ ...input, type })
        if (queuedJson.length + json.length >= MAX_BATCH_CHARS) void sendQueue()
        queuedJson += (queuedJson && ',') + json
        if (waiting.push(resolve) >= flushAt) void sendQueue()
        else timer ||= setTimeout(sendQueue, flushIntervalMs)
      })

    // Calls in flight, so that flush() can wait for them.
    const pending = new Set<Promise<unknown>>()

    /** identify and ping: checked here, so that a call without an email never costs a request. */
    const deliver = (type: 'identify' | 'ping', input: IdentifyInput | PingInput) =>
      !/.@./.test(input?.email as string)
        ? failure(400, INVALID, NOT_AN_EMAIL, {
            details: [{ path: 'email', message: NOT_AN_EMAIL }],
          })
        : flushAt
          ? enqueue(type, input)
          : send(type, JSON.stringify(input))

    /** Runs a call so that it resolves whatever happens, reports a failure once, and can be flushed. */
    const call = <T>(run: () => Result<unknown> | Promise<Result<unknown>>) => {
      const promise = (async () => {
        let result
        try {
          result = await run()
        } catch (error) {
          // JSON.stringify throws on a BigInt or a cycle: the caller's mistake, reported as such.
          result = failure(400, INVALID, (error as Error).message)
        }
        if (result.error) {
          // A throwing hook must not turn the call into a rejection.
          try {
            onError?.(result.error)
          } catch {}
        }
        return result as Result<T>
      })()
      pending.add(promise)
      void promise.then(() => pending.delete(promise))
      return promise
    }

    this.identify = (input) => call(() => deliver('identify', input))
    this.ping = (input: string | PingInput) =>
      call(() => deliver('ping', typeof input === 'string' ? { email: input } : input))
    this.batch = (items) => call(() => send('batch', JSON.stringify({ batch: items })))
    this.flush = async () => {
      // A queued call is pending too (it awaits its batch); a call made meanwhile is waited for.
      while (pending.size) {
        void sendQueue()
        await Promise.all(pending)
      }
    }
  }
}
