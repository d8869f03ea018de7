// `npm run tinycrm -- <command>`: the command-line tool (src/cli/main.ts) from its bundle
// (scripts/build-server.mjs; built here when a source file changed), in this very process. Node
// 20, no flags, no compiler at run time (`--help`, 5 runs alternated on a busy 2-core machine:
// 2.5–3.6 s through tsx, 0.26–0.82 s from the bundle).
import { pathToFileURL } from 'node:url'
import { buildCli, CLI_BUNDLE } from './build-server.mjs'

await buildCli()
await import(pathToFileURL(CLI_BUNDLE).href)
