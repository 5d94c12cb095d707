// One protected "orders" API, run as its own process by the soak (`node api.mjs <framework>`):
// the same two routes on Express, Fastify or Hono, each through its @keygate package's public
// API. `GET /orders` needs `orders:read`, `POST /orders` needs `orders:write`; orders are kept
// in memory per subject so the soak can check that every 201 it received was stored exactly
// once. `GET /soak/stats` (loopback only, unauthenticated: a test hook, not an example to copy)
// reports what this process answered, the signing keys (`kid`s) it saw and its JWKS fetches;
// `GET /soak/heap` collects garbage (the soak starts it with --expose-gc) and reports the heap
// left: a leak shows there even when RSS only follows the load.
//
// Prints one JSON line `{ "url": … }` on stdout when it listens on 127.0.0.1.
import { createAuth } from '@keygate/core'

const framework = process.argv[2]
const issuer = process.env.SOAK_ISSUER
const audience = process.env.SOAK_AUDIENCE
if (!issuer || !audience || !['express', 'fastify', 'hono'].includes(framework ?? '')) {
  process.stderr.write('usage: SOAK_ISSUER=… SOAK_AUDIENCE=… node api.mjs express|fastify|hono\n')
  process.exit(2)
}

/** Answers by status, kids seen, JWKS fetches and kid misses: what /soak/stats reports. */
const stats = {
  statuses: /** @type {Record<string, number>} */ ({}),
  kids: new Set(),
  jwksFetches: 0,
  kidMisses: 0,
}
/** Orders stored per subject: the count the soak compares with the 201s its callers received. */
const orders = new Map()

const auth = createAuth({
  issuer,
  audience,
  // The soak rotates signing keys every few seconds; the issuer's JWKS max-age follows (half of
  // its publish-ahead). Keygate clamps max-age to at least 60 s by default, a sane production
  // floor; with rotation this fast the floor must come down so the API learns of a new key
  // before it signs (a kid miss would cover it too, once per cooldown).
  jwks: {
    minMaxAge: '1s',
    onEvent(event) {
      if (event.type === 'fetch') stats.jwksFetches++
      else if (event.type === 'kid_miss') stats.kidMisses++
    },
  },
})

const readRequirement = { permissions: ['orders:read'] }
const writeRequirement = { permissions: ['orders:write'] }

/** @param {{ subject: string, header: { kid?: string } }} principal */
function seen(principal) {
  if (principal.header.kid) stats.kids.add(principal.header.kid)
  return principal.subject
}

function listOrders(subject) {
  return { subject, count: orders.get(subject) ?? 0 }
}

function addOrder(subject) {
  const count = (orders.get(subject) ?? 0) + 1
  orders.set(subject, count)
  return { subject, id: count }
}

function statsBody() {
  return {
    framework,
    pid: process.pid,
    statuses: stats.statuses,
    kids: [...stats.kids],
    jwksFetches: stats.jwksFetches,
    kidMisses: stats.kidMisses,
    orders: Object.fromEntries(orders),
  }
}

function heapBody() {
  globalThis.gc?.()
  return { heapUsed: process.memoryUsage().heapUsed }
}

function count(status) {
  const key = String(status)
  stats.statuses[key] = (stats.statuses[key] ?? 0) + 1
}

async function startExpress() {
  const { default: express } = await import('express')
  const { authenticate, authorize, getAuth } = await import('@keygate/express')
  const app = express()
  app.use('/orders', (_req, res, next) => {
    res.on('finish', () => count(res.statusCode))
    next()
  })
  app.get('/orders', authenticate(auth), authorize(readRequirement), (req, res) => {
    res.json(listOrders(seen(getAuth(req))))
  })
  app.post('/orders', authenticate(auth), authorize(writeRequirement), (req, res) => {
    res.status(201).json(addOrder(seen(getAuth(req))))
  })
  app.get('/soak/stats', (_req, res) => {
    res.json(statsBody())
  })
  app.get('/soak/heap', (_req, res) => {
    res.json(heapBody())
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`))
  })
}

async function startFastify() {
  const { default: Fastify } = await import('fastify')
  const { getAuth, keygate } = await import('@keygate/fastify')
  const app = Fastify()
  await app.register(keygate, { auth })
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/orders')) count(reply.statusCode)
  })
  app.get('/orders', { onRequest: [app.authenticate, app.authorize(readRequirement)] }, async (request) =>
    listOrders(seen(getAuth(request))),
  )
  app.post(
    '/orders',
    { onRequest: [app.authenticate, app.authorize(writeRequirement)] },
    async (request, reply) => reply.code(201).send(addOrder(seen(getAuth(request)))),
  )
  app.get('/soak/stats', async () => statsBody())
  app.get('/soak/heap', async () => heapBody())
  return app.listen({ port: 0, host: '127.0.0.1' })
}

async function startHono() {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const { authenticate, authorize } = await import('@keygate/hono')
  const app = new Hono()
  app.use('/orders', async (c, next) => {
    await next()
    count(c.res.status)
  })
  app.get('/orders', authenticate(auth), authorize(readRequirement), (c) =>
    c.json(listOrders(seen(c.var.auth))),
  )
  app.post('/orders', authenticate(auth), authorize(writeRequirement), (c) =>
    c.json(addOrder(seen(c.var.auth)), 201),
  )
  app.get('/soak/stats', (c) => c.json(statsBody()))
  app.get('/soak/heap', (c) => c.json(heapBody()))
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(`http://127.0.0.1:${info.port}`),
    )
  })
}

const start = { express: startExpress, fastify: startFastify, hono: startHono }[framework]
const url = await start()
process.stdout.write(`${JSON.stringify({ url })}\n`)
// The soak ends this process with SIGTERM once it has read the final stats.
process.once('SIGTERM', () => {
  auth.close()
  process.exit(0)
})
