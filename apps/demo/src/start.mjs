/**
 * `pnpm demo`: keygate-server on PGlite, the orders API on Express, Fastify, Hono and Next.js, a
 * @keygate/client caller on a loop, and the page, served by the Next.js app (http://127.0.0.1:4400
 * by default).
 *
 * Environment: DEMO_PORT (default 4400, the Next.js app; the server, Express, Fastify and Hono take
 * the next four ports; 0 picks free ports), DEMO_DATA_DIR (default apps/demo/.data: PGlite's files and the
 * generated encryption secret, reused by the next run; delete it, or set DEMO_RESET=1, to start over).
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@keygate/client'
import { loadConfig, startServer } from '@keygate/server'
import { startExpress, startFastify, startHono } from './apis.mjs'
import { startNext } from './next.mjs'

const here = dirname(fileURLToPath(import.meta.url))
/** Short lifetimes so a viewer sees the client refresh within a minute. */
const ACCESS_TOKEN_TTL = '20s'
/** The client's loop: one call to each API this often. */
const LOOP_MS = 3_000

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

async function ports(base) {
  if (base !== 0) return [base, base + 1, base + 2, base + 3, base + 4]
  return Promise.all(Array.from({ length: 5 }, freePort))
}

async function main() {
  // The Next.js app is a production build; Next.js and React pick their production code by this.
  process.env.NODE_ENV = 'production'
  process.env.NEXT_TELEMETRY_DISABLED = '1'
  const base = Number(process.env.DEMO_PORT ?? 4400)
  const dataDir = process.env.DEMO_DATA_DIR ?? join(here, '..', '.data')
  if (process.env.DEMO_RESET === '1') rmSync(dataDir, { recursive: true, force: true })
  const [webPort, serverPort, expressPort, fastifyPort, honoPort] = await ports(base)
  const issuer = `http://127.0.0.1:${serverPort}`
  // A new admin token each run; it never leaves this process (the page's routes use it).
  const adminToken = randomBytes(32).toString('base64url')

  const loaded = loadConfig({
    KEYGATE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(serverPort),
    KEYGATE_ISSUER: issuer,
    KEYGATE_DATA_DIR: dataDir,
    KEYGATE_ADMIN_TOKEN: adminToken,
    KEYGATE_SIGNING_ALGORITHM: 'EdDSA',
    KEYGATE_ACCESS_TOKEN_TTL: ACCESS_TOKEN_TTL,
    KEYGATE_RETIRE_AFTER: '5m',
    // JWThenticator's JWTs (not used here) must also expire before a retired key leaves the JWKS.
    JWT_LEASE_TIME: '60',
    KEYGATE_LOG_LEVEL: 'warn',
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('; '))
  const server = await startServer(loaded.config)

  const admin = { authorization: `Bearer ${adminToken}` }
  const created = await fetch(`${issuer}/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({ subject: 'svc-demo', name: 'demo', permissions: ['orders:read'] }),
  })
  if (created.status !== 201) throw new Error(`Creating the demo API key answered ${created.status}`)
  const demoKey = await created.json()

  // The Next.js app's origin: the page, the fourth orders API (/api/orders), and the issuer of
  // user tokens (browser sessions, lib/users.ts), which every API trusts next to keygate-server.
  const web = `http://127.0.0.1:${webPort}`
  const trusted = { server: issuer, web }
  const servers = [
    await startExpress(trusted, expressPort),
    await startFastify(trusted, fastifyPort),
    await startHono(trusted, honoPort),
  ]
  const apis = [
    ...servers.map((api) => ({ name: api.name, url: `${api.url}/orders` })),
    { name: 'next', url: `${web}/api/orders` },
  ]

  // The service-to-service caller: its own copy of the key, as a separate service would have.
  const activity = []
  const record = (entry) => {
    activity.push({ at: new Date().toISOString(), ...entry })
    if (activity.length > 60) activity.shift()
  }
  const client = createClient({
    issuer,
    key: demoKey.key,
    origins: [...servers.map((api) => api.url), web],
    onEvent: (event) =>
      record({ source: 'client', event: event.type, ...(event.code && { code: event.code }) }),
  })
  let loop
  const tick = async () => {
    for (const api of apis) {
      try {
        const response = await client.fetch(api.url)
        await response.arrayBuffer()
        record({ source: 'call', api: api.name, status: response.status })
      } catch (error) {
        record({ source: 'call', api: api.name, error: error?.code ?? 'ERR_UNKNOWN' })
      }
    }
    loop = setTimeout(tick, LOOP_MS)
  }

  // lib/context.ts's DemoContext: what the Next.js app needs of this run.
  const app = await startNext(webPort, {
    issuer,
    web,
    adminAuthorization: admin.authorization,
    demoKey: {
      id: demoKey.id,
      key: demoKey.key,
      permissions: demoKey.record?.permissions ?? ['orders:read'],
    },
    apis: Object.fromEntries(apis.map((api) => [api.name, api.url])),
    activity: () => activity,
    internalSecret: randomBytes(32).toString('base64url'),
  })
  loop = setTimeout(tick, 0)

  const line = (label, value) => console.log(`  ${label.padEnd(16)} ${value}`)
  console.log('\nKeygate demo is running (Ctrl-C stops everything)\n')
  line('Page', `${app.url}  (Next.js)`)
  line('keygate-server', `${server.url}  (PGlite in ${dataDir})`)
  for (const api of apis) line(api.name, api.url)
  line('Demo API key', `${demoKey.key}  (id ${demoKey.id}; shown once; permissions: orders:read)`)
  console.log(
    `\n  Try: curl -s -X POST -d grant_type=client_credentials -d client_secret=${demoKey.key} ${issuer}/token\n`,
  )

  let stopping = false
  const stop = async (signal) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping…`)
    clearTimeout(loop)
    client.close()
    await app.close()
    await Promise.all(servers.map((api) => api.close()))
    await server.close()
    console.log('stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
