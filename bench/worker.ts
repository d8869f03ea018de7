// The Worker under workerd: bundles src/worker.ts as `wrangler deploy --dry-run` does (the bundle
// Cloudflare would get; its size raw and gzipped against the 3 MB free / 10 MB paid gzipped limits),
// serves the target's database over the loopback Neon HTTP endpoint, and runs ./worker-child.ts
// under a Node 22+ (miniflare needs it) to time identify through Neon's HTTP driver.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { PGlite } from '@electric-sql/pglite'
import type pg from 'pg'
import { startNeonHttpEndpoint } from '../scripts/neon-http-endpoint.js'
import { wranglerArgs, wranglerNode } from '../scripts/wrangler-node.js'
import type { BenchResult } from './bench.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const WORKER_CONCURRENCY = [1, 16]

export interface WorkerBundle {
  /** Where the bundle is (a temp dir, removed by `remove()`). */
  path: string
  rawKb: number
  gzipKb: number
  gzipBytes: number
  bundleSeconds: number
  remove(): void
}

export function bundleWorker(): WorkerBundle {
  const dir = mkdtempSync(join(tmpdir(), 'tinycrm-bench-worker-'))
  const started = performance.now()
  const [cmd, ...args] = wranglerArgs(['deploy', '--dry-run', '--outdir', dir])
  execFileSync(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  const bundleSeconds = Math.round((performance.now() - started) / 100) / 10
  const path = join(dir, 'worker.js')
  const code = readFileSync(path)
  const kb = (n: number) => Math.round(n / 1024)
  const gzipBytes = gzipSync(code).length
  return {
    path,
    rawKb: kb(code.length),
    gzipKb: kb(gzipBytes),
    gzipBytes,
    bundleSeconds,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface WorkerRun {
  /** new Miniflare() until workerd is ready. */
  readyMs: number
  /** new Miniflare() until the first identify has answered: the cold start here. */
  startupMs: number
  firstRequestMs: number
  results: BenchResult[]
}

export async function workerIdentify(opts: {
  bundle: WorkerBundle
  pglite?: PGlite
  pool?: pg.Pool
  target: string
  keys: string[]
  durationMs: number
  log(message: string): void
}): Promise<WorkerRun> {
  const endpoint = await startNeonHttpEndpoint({ pglite: opts.pglite, pool: opts.pool })
  try {
    opts.log(`worker ${opts.target}: starting workerd`)
    const input = {
      scriptPath: opts.bundle.path,
      endpoint: endpoint.url,
      keys: opts.keys,
      target: opts.target,
      durationMs: opts.durationMs,
      concurrency: WORKER_CONCURRENCY,
    }
    const child = spawn(wranglerNode(), ['--import', 'tsx', 'bench/worker-child.ts'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_WORKER: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    const line = out.trim().split('\n').pop() ?? ''
    if (code !== 0 || !line.startsWith('{')) {
      throw new Error(`worker bench failed (exit ${code}): ${out.slice(-2000)}`)
    }
    return JSON.parse(line) as WorkerRun
  } finally {
    await endpoint.close()
  }
}
