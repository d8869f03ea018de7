// PGlite on a thread of its own (./pglite-worker.ts), behind an object with PGlite's own methods
// (query, exec, transaction, close), as Kysely's dialect and the tidy call them. PGlite runs its
// statements on the thread that made it, in WebAssembly: on the main thread, every request's HTTP
// and JSON waits while a statement runs, and every statement while a request is parsed. On a
// thread of its own, the two overlap (two cores, or more).
import { Worker } from 'node:worker_threads'
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite'

/** What the thread is started with. */
export interface ThreadStart {
  dataDir: string
  /** shared_buffers in MB (./pglite-buffers.ts). */
  sharedBuffersMb: number
}

export type ThreadRequest = { id: number; tx?: number } & (
  | { op: 'query'; text: string; params: unknown[]; rowMode?: 'array' | 'object'; asText?: boolean }
  | { op: 'exec'; text: string }
  | { op: 'begin' }
  | { op: 'end'; commit: boolean }
  | { op: 'dump' }
  | { op: 'close' }
)

export type ThreadReply = { id: number; result?: unknown; error?: Record<string, unknown> }

type Request = ThreadRequest extends infer R
  ? R extends ThreadRequest
    ? Omit<R, 'id'>
    : never
  : never

/** The thread, from the worker's file beside this one: built (dist/), or TypeScript loaded
 *  through tsx's loader (tests, the bench run from source). */
function newWorker(start: ThreadStart) {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: start })
  const file = new URL('./pglite-worker.ts', import.meta.url).href
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(file)}) })`
  return new Worker(boot, { eval: true, workerData: start })
}

/** Starts PGlite on its thread in `dataDir` and resolves once it is open. */
export async function startPgliteThread(start: ThreadStart): Promise<PGlite> {
  const worker = newWorker(start)
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
  let lastId = 0
  let closed = false
  let failed: Error | undefined

  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject })
  })
  worker.on('message', ({ id, result, error }: ThreadReply) => {
    const w = waiting.get(id)
    if (!w) return
    waiting.delete(id)
    // The thread keeps the process alive only while a statement waits on it, as PGlite on the
    // main thread did (a command that forgets to close its database still ends).
    if (!waiting.size) worker.unref()
    if (error) w.reject(Object.assign(new Error(String(error.message)), error))
    else w.resolve(result)
  })
  const fail = (err: Error) => {
    failed ??= err
    closed = true
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
  }
  // PGlite's thread ending other than by close() (an abort in PGlite, out of memory): every
  // statement waiting, and every later one, fails with why; the server answers them 500 and
  // logs it.
  worker.on('error', (err) => fail(new Error(`PGlite's thread failed: ${err.message}`)))
  worker.on('exit', (code) => fail(new Error(`PGlite's thread exited (code ${code})`)))
  await ready.catch(async (err: unknown) => {
    await worker.terminate()
    throw err
  })

  const send = <T>(request: Request): Promise<T> => {
    if (failed) return Promise.reject(failed)
    const id = ++lastId
    return new Promise<T>((resolve, reject) => {
      if (!waiting.size) worker.ref()
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      worker.postMessage({ ...request, id })
    })
  }
  const asText = (options?: QueryOptions) => !!(options?.parsers || options?.serializers)
  const query =
    (tx?: number) =>
    <T>(text: string, params: unknown[] = [], options?: QueryOptions) =>
      send<Results<T>>({
        op: 'query',
        tx,
        text,
        params,
        rowMode: options?.rowMode,
        asText: asText(options),
      })
  const exec = (tx?: number) => (text: string) => send<Results[]>({ op: 'exec', tx, text })

  const pglite = {
    get closed() {
      return closed
    },
    // Values are parsed and serialised on PGlite's thread, by the app's parsers. A query given
    // parsers or serialisers of its own (functions do not cross threads) gets every value as
    // PostgreSQL's text and sends its parameters as given: what the dev Neon endpoint's
    // identity parsers ask for (scripts/neon-http-endpoint.ts), the one caller that passes any.
    parsers: {},
    serializers: {},
    query: query(),
    exec: exec(),
    async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
      const id = await send<number>({ op: 'begin' })
      let ended = false
      const end = async (commit: boolean) => {
        if (ended) return
        ended = true
        await send({ op: 'end', tx: id, commit })
      }
      const tx = {
        query: query(id),
        exec: exec(id),
        get closed() {
          return ended
        },
        rollback: () => end(false),
      }
      try {
        const result = await callback(tx as unknown as Transaction)
        await end(true)
        return result
      } catch (err) {
        await end(false)
        throw err
      }
    },
    /** The data directory as a tarball (the test fixtures' start: test/support/pglite-setup.ts). */
    async dumpDataDir() {
      return new Blob([await send<ArrayBuffer>({ op: 'dump' })])
    },
    async close() {
      if (closed) return
      await send({ op: 'close' })
      closed = true
      await worker.terminate()
    },
  }
  return pglite as unknown as PGlite
}
