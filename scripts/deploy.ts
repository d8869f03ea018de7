// `npm run deploy`: ships the Worker to your Cloudflare account against your Neon database.
// With DATABASE_URL set in the shell it (1) checks you are logged in to Cloudflare, (2) migrates the
// database from Node (scripts/migrate.ts), (3) stores DATABASE_URL as the Worker secret (the value
// goes through stdin, never argv or a file), (4) runs `wrangler deploy`.
// `npm run deploy -- --dry-run` only bundles (into dist/worker/) and prints the bundle size.
// The wrangler CLI needs Node 22+; this script runs it with a Node that has one (see ./wrangler-node).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { requireDatabaseUrl, runMigrations } from './migrate.js'
import { wranglerArgs } from './wrangler-node.js'

interface Run {
  code: number
  output: string
}

/** Runs wrangler; `capture` collects its output instead of showing it. */
function wrangler(args: string[], opts: { input?: string; capture?: boolean } = {}): Promise<Run> {
  let argv: string[]
  try {
    argv = wranglerArgs(args)
  } catch (err) {
    fail((err as Error).message)
  }
  const [cmd, ...rest] = argv
  const out = opts.capture ? 'pipe' : 'inherit'
  const child = spawn(cmd!, rest, {
    stdio: [opts.input === undefined ? 'inherit' : 'pipe', out, out],
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  if (opts.input !== undefined) child.stdin!.end(opts.input)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

function kib(bytes: number) {
  return `${(bytes / 1024).toFixed(1)} KiB`
}

async function dryRun() {
  const outdir = join('dist', 'worker')
  const metafile = join(outdir, 'metafile.json')
  const { code } = await wrangler([
    'deploy',
    '--dry-run',
    '--outdir',
    outdir,
    '--metafile',
    metafile,
  ])
  if (code !== 0) process.exit(code)
  const bundle = readFileSync(join(outdir, 'worker.js'))
  console.log(
    `Bundle ${join(outdir, 'worker.js')}: ${kib(bundle.length)} raw, ${kib(gzipSync(bundle).length)} gzipped`,
  )
  console.log('Largest parts (minified bytes in the bundle):')
  for (const [part, bytes] of largestParts(metafile))
    console.log(`  ${kib(bytes).padStart(10)}  ${part}`)
}

/** What the bundle is made of, from esbuild's metafile: bytes per npm package, and per folder of
 *  our own source (src/customers, views/projects, …), largest first. */
function largestParts(metafile: string, count = 15): [string, number][] {
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
  }
  const parts = new Map<string, number>()
  for (const [name, output] of Object.entries(meta.outputs)) {
    if (name.endsWith('.map')) continue
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
      const part = inPackage ? inPackage[1]! : input.split('/').slice(0, 2).join('/')
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput)
    }
  }
  return [...parts].sort((a, b) => b[1] - a[1]).slice(0, count)
}

/** The login command that works with this Node: wrangler refuses Node < 22, so on Node 20 it is
 *  wrangler run by the Node 24 that `npm run dev`/`deploy` fetched (`npx wrangler login` fails). */
function loginCommand(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return 'npx wrangler login'
  const [node, cli] = wranglerArgs([])
  const here = process.cwd() + '/'
  return [node!, cli!, 'login']
    .map((p) => (p.startsWith(here) ? p.slice(here.length) : p))
    .join(' ')
}

async function deploy() {
  const databaseUrl = requireDatabaseUrl('deploy')

  // Before touching the database: deploying would fail later without a Cloudflare login.
  const whoami = await wrangler(['whoami'], { capture: true })
  if (/not authenticated/i.test(whoami.output)) {
    fail(`You are not logged in to Cloudflare. Log in once, then run this again:

  ${loginCommand()}

(or set CLOUDFLARE_API_TOKEN, e.g. in CI).`)
  }
  if (whoami.code !== 0) fail(`\`wrangler whoami\` failed:\n${whoami.output}`)

  await runMigrations(databaseUrl)

  console.log('Storing DATABASE_URL as the Worker secret …')
  const secret = await wrangler(['secret', 'put', 'DATABASE_URL'], { input: databaseUrl })
  if (secret.code !== 0) fail('`wrangler secret put DATABASE_URL` failed (see above).')

  const { code } = await wrangler(['deploy'])
  if (code !== 0) fail('`wrangler deploy` failed (see above).')
  console.log(`Deployed. Create an account and a project key against the same database:

  DATABASE_URL=… npm run tinycrm -- --help`)
}

if (process.argv.includes('--dry-run')) await dryRun()
else await deploy()
