// `npm start`: the Node server from its bundle (scripts/build-server.mjs; built here when a source
// file changed), in this very process, so the start-up time the server prints is the whole wait.
// Node 20, no flags, no compiler at run time.
import { pathToFileURL } from 'node:url'
import { buildServer, SERVER_BUNDLE } from './build-server.mjs'

await import('./copy-assets.mjs')
await buildServer()
await import(pathToFileURL(SERVER_BUNDLE).href)
