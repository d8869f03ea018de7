// tinycrm-sdk: the whole client. Plain ESM JavaScript typed by index.d.ts beside it, so it runs as
// is (no build step) on Node 18+, Workers, Deno, Bun and browsers. Every call resolves to
// { data, error } and never rejects, so an unawaited call can never crash its host process.
export class TinyCRM {
  constructor(o) {
    o = o && typeof o == 'object' ? o : { apiKey: o }
    let {
      apiKey,
      // `process` is read through globalThis: browsers and Workers have none, and bundlers must not
      // inline a polyfill for it.
      baseUrl = globalThis.process?.env?.TINYCRM_URL || 'https://app.tinycrm.dev',
      timeoutMs = 5e3,
      retries = 2,
      onError = (e) => console.error('tinycrm:', e),
      flushIntervalMs = 1e3,
      flushAt = o.batch || o.flushIntervalMs ? 20 : 0,
    } = o
    let pending = new Set()
    let queue = []
    let chars = 0
    let timer
    let noEmail = 'email is required'

    let ok = (data) => ({ data, error: null })
    let fail = (code, message, status = 0, server) => ({
      data: null,
      error: { code, message, ...server, status },
    })

    // The one request path: timeout per attempt, retries with jittered exponential backoff on
    // network errors, timeouts, 408, 429 and 5xx (every endpoint is an idempotent upsert).
    let send = async (path, body) => {
      if (!apiKey) {
        return fail('unauthorized', 'No API key given to new TinyCRM()', 401)
      }
      for (let n = 0; ; n++) {
        let r
        let wait = Math.min(150 << n, 4e3) * (1 + Math.random())
        try {
          let res = await (o.fetch || fetch)(baseUrl.replace(/\/*$/, '/v1/') + path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer ' + apiKey },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          })
          let s = res.status
          let json = await res.json().catch(() => ({}))
          if (res.ok && json.ok) return ok(json)
          r = fail('http_error', 'HTTP ' + s, s, json.error)
          if (!/408|429|5../.test(s)) return r
          let after = res.headers.get('retry-after')
          if (after) wait = after * 1e3 || Date.parse(after) - Date.now() || 0
        } catch (e) {
          r = fail(e.name == 'TimeoutError' ? 'timeout' : 'network_error', e.message)
        }
        // A Retry-After over a minute is not worth holding a request (or a function) open for.
        if (n >= retries || !(wait < 6e4)) return r
        await new Promise((f) => setTimeout(f, wait))
      }
    }

    // Batching: queued items go out as one /v1/batch when flushAt is reached, the body nears the
    // server's 500 KB limit (1.6e5 UTF-16 units is at most 480 KB of UTF-8), or the interval ends.
    let drain = async () => {
      clearTimeout(timer)
      timer = 0
      let items = queue
      queue = []
      chars = 0
      if (!items[0]) return
      let r = await send('batch', `{"batch":[${items.map((i) => i[0])}]}`)
      items.map(([, resolve], i) => {
        let x = r.data?.results?.[i]
        resolve(!x ? r : x.ok ? ok(x) : fail(0, 0, 400, x.error))
      })
    }
    let enqueue = (type, body) =>
      new Promise((resolve) => {
        let s = JSON.stringify({ ...body, type })
        if (chars + s.length > 16e4) drain()
        queue.push([s, resolve])
        chars += s.length + 1
        queue.length < flushAt ? (timer ||= setTimeout(drain, flushIntervalMs)) : drain()
      })

    let call = (type, body) => {
      let p = (async () => {
        let r
        try {
          r =
            type == 'batch'
              ? await send(type, JSON.stringify({ batch: body }))
              : !/.@./.test(body?.email)
                ? fail('validation_failed', noEmail, 400, {
                    details: [{ path: 'email', message: noEmail }],
                  })
                : flushAt
                  ? await enqueue(type, body)
                  : await send(type, JSON.stringify(body))
        } catch (e) {
          // JSON.stringify throws on BigInt and cycles: the caller's mistake, reported as such.
          r = fail('validation_failed', e.message, 400)
        }
        if (r.error) {
          try {
            onError?.(r.error)
          } catch {}
        }
        return r
      })()
      pending.add(p)
      p.then(() => pending.delete(p))
      return p
    }

    this.identify = (input) => call('identify', input)
    this.ping = (input) => call('ping', typeof input == 'string' ? { email: input } : input)
    this.batch = (items) => call('batch', items)
    this.flush = async () => {
      while (queue[0] || pending.size) {
        drain()
        await Promise.all(pending)
      }
    }
  }
}
