// Runs under Node 22+ (miniflare 5 needs it; bench/worker.ts starts it with the Node that runs
// wrangler): loads the bundled Worker into workerd with Miniflare and times POST /v1/identify
// through `dispatchFetch`. The Worker reaches the database through Neon's HTTP driver and the
// loopback endpoint the parent serves. Input: BENCH_WORKER (JSON) in the environment; output: one
// JSON line on stdout.
import { dirname } from 'node:path'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { runLoop, summarize } from './load.js'
import { identifyBody } from './workload.js'

interface Input {
  scriptPath: string
  endpoint: string
  keys: string[]
  target: string
  durationMs: number
  concurrency: number[]
}

const input = JSON.parse(process.env.BENCH_WORKER ?? '') as Input
const log = (m: string) => console.error(`  … ${m}`)

const t0 = performance.now()
// miniflare 5 takes `workers: [{ config }]`; the v4 shape converts to it and reads better here.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    scriptPath: input.scriptPath,
    // Module names are paths relative to this root; the bundle sits in a temp dir outside the cwd.
    modulesRoot: dirname(input.scriptPath),
    compatibilityDate: '2026-09-01',
    bindings: {
      // Any well-formed URL: with NEON_FETCH_ENDPOINT set the driver never resolves its host.
      DATABASE_URL: 'postgres://tinycrm:bench@localhost/tinycrm',
      NEON_FETCH_ENDPOINT: input.endpoint,
    },
  }),
)
let seq = 0
const identify = async (n: number) => {
  const res = await mf.dispatchFetch('http://localhost/v1/identify', {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${input.keys[n % input.keys.length]}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(identifyBody(n, 'worker')),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`)
}
try {
  await mf.ready
  const readyMs = performance.now() - t0
  await identify(seq++)
  const startupMs = performance.now() - t0
  const results = []
  for (const concurrency of input.concurrency) {
    const op = () => identify(seq++)
    await runLoop({ concurrency, durationMs: Math.min(1000, input.durationMs / 4), op })
    log(`identify worker ${input.target} c=${concurrency}`)
    const r = await runLoop({ concurrency, durationMs: input.durationMs, op })
    results.push(
      summarize(r, { bench: 'identify', target: input.target, side: 'worker', concurrency }),
    )
  }
  const round = (ms: number) => Math.round(ms)
  console.log(
    JSON.stringify({
      readyMs: round(readyMs),
      startupMs: round(startupMs),
      firstRequestMs: round(startupMs - readyMs),
      results,
    }),
  )
} finally {
  await mf.dispose()
}
