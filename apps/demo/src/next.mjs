/**
 * The Next.js app (app/, proxy.ts, public/) on its own port, in this process: Next.js's
 * programmatic server over the production build (`next build`, the package's `build` script, which
 * `pnpm demo` runs through turbo and caches). In-process, the app reads the run's context (admin
 * token, demo key, the client's activity) from globalThis, and Ctrl-C leaves no `next` process.
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const APP = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Starts the app on 127.0.0.1:`port` with `context` (lib/context.ts's DemoContext).
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startNext(port, context) {
  if (!existsSync(join(APP, '.next', 'BUILD_ID'))) {
    throw new Error(
      'apps/demo has no Next.js build: run `pnpm --filter @keygate/demo build` (pnpm demo does it)',
    )
  }
  globalThis.keygateDemo = context
  const { default: next } = await import('next')
  const app = next({ dev: false, dir: APP, hostname: '127.0.0.1', port, quiet: true })
  await app.prepare()
  const handle = app.getRequestHandler()
  const server = createServer((req, res) => void handle(req, res))
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(() => resolve()))
      await app.close()
    },
  }
}
