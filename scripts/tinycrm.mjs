// `npm run tinycrm -- <command>`: the command-line tool (src/cli/main.ts) from its bundle
// (scripts/build-server.mjs; built here when a source file changed), in this very process. Node
// 20, no flags, no compiler at run time: `--help` in 1.5–2.0 s through tsx, 0.2 s bundled.
import { pathToFileURL } from 'node:url'
import { buildCli, CLI_BUNDLE } from './build-server.mjs'

await buildCli()
await import(pathToFileURL(CLI_BUNDLE).href)
