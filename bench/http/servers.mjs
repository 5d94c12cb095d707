// One benchmark server per child process: `node servers.mjs <framework:variant> <config JSON>`
// (config: issuer, audience, jwksUri, publicJwk, token). Prints {"port":…} once listening on
// 127.0.0.1 and serves GET /r until killed. Every variant answers the same small JSON body.
// `yardstick:in-process` is no server: it prints the in-process CPU cost of one verification
// of the token ({"verify":…,"crypto":…} in µs) and exits.
import { createPublicKey, verify } from 'node:crypto'
import { createServer } from 'node:http'
import { createAuth } from '../../packages/core/dist/index.js'

const [variant, configJSON] = process.argv.slice(2)
const config = JSON.parse(configJSON)
const { issuer, audience, jwksUri } = config
const keygateOptions = (cache) => ({
  issuer,
  audience,
  jwksUri,
  algorithms: ['RS256'],
  ...(cache ? { tokenCache: { max: 10_000 } } : {}),
})
const body = (subject) => ({ ok: true, subject })
// The token's subject: the no-auth routes answer with it too, so every variant of a framework
// sends the very same bytes and only the authentication differs.
const SUBJECT = 'bench-user'

async function express(kind) {
  const { default: express } = await import('express')
  const app = express()
  if (kind === 'none') app.get('/r', (_req, res) => res.json(body(SUBJECT)))
  else if (kind === 'noop') {
    // The framework's own cost of one middleware that reads the header and sets a value.
    const noop = (req, _res, next) => {
      req.who = req.headers.authorization?.length
      next()
    }
    app.get('/r', noop, (req, res) => res.json(body(String(req.who))))
  } else if (kind === 'keygate' || kind === 'keygate-cache') {
    const { authenticate, getAuth } = await import('../../packages/express/dist/index.js')
    const auth = createAuth(keygateOptions(kind === 'keygate-cache'))
    app.get('/r', authenticate(auth), (req, res) => res.json(body(getAuth(req).subject)))
  } else if (kind === 'express-jwt') {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    const secret = jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true })
    app.get('/r', expressjwt({ secret, algorithms: ['RS256'], audience, issuer }), (req, res) =>
      res.json(body(req.auth.sub)),
    )
    // Refusals answered as 401 without Express's default handler, which prints every stack
    // trace to stderr (thousands during the kid storms) and bills the printing to this server.
    app.use((error, _req, res, _next) => res.status(error.status ?? 500).end())
  }
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port))
  })
}

async function fastify(kind) {
  const { default: Fastify } = await import('fastify')
  const app = Fastify()
  if (kind === 'none') app.get('/r', async () => body(SUBJECT))
  else if (kind === 'noop') {
    app.decorateRequest('who', null)
    const noop = async (request) => {
      request.who = request.headers.authorization?.length
    }
    app.get('/r', { onRequest: noop }, async (request) => body(String(request.who)))
  } else if (kind === 'keygate' || kind === 'keygate-cache') {
    const { keygate } = await import('../../packages/fastify/dist/index.js')
    await app.register(keygate, { auth: createAuth(keygateOptions(kind === 'keygate-cache')) })
    app.get('/r', { onRequest: app.authenticate }, async (request) => body(request.auth.subject))
  } else if (kind === '@fastify/jwt' || kind === '@fastify/jwt-cache') {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const pem = createPublicKey({ key: config.publicJwk, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    await app.register(fastifyJwt, {
      secret: { public: pem },
      // `cache: true`: fast-jwt's verified-token cache (1000 entries), the one cached peer.
      verify: {
        algorithms: ['RS256'],
        allowedAud: audience,
        allowedIss: issuer,
        ...(kind === '@fastify/jwt-cache' ? { cache: true } : {}),
      },
    })
    app.get('/r', { onRequest: (request) => request.jwtVerify() }, async (request) => body(request.user.sub))
  } else if (kind === 'fastify-jwt-jwks') {
    const { default: fastifyJwtJwks } = await import('fastify-jwt-jwks')
    await app.register(fastifyJwtJwks, { jwksUrl: jwksUri, audience, issuer })
    app.get('/r', { onRequest: app.authenticate }, async (request) => body(request.user.sub))
  }
  return Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port)
}

async function hono(kind) {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono()
  if (kind === 'none') app.get('/r', (c) => c.json(body(SUBJECT)))
  else if (kind === 'noop') {
    const noop = async (c, next) => {
      c.set('who', c.req.header('authorization')?.length)
      await next()
    }
    app.get('/r', noop, (c) => c.json(body(String(c.get('who')))))
  } else if (kind === 'keygate' || kind === 'keygate-cache') {
    const { authenticate, getAuth } = await import('../../packages/hono/dist/index.js')
    const auth = createAuth(keygateOptions(kind === 'keygate-cache'))
    app.get('/r', authenticate(auth), (c) => c.json(body(getAuth(c).subject)))
  } else if (kind === 'keygate-withauth-cache') {
    // The route's one handler does both: no middleware chain for Hono to compose.
    const { withAuth, getAuth } = await import('../../packages/hono/dist/index.js')
    const auth = createAuth(keygateOptions(true))
    app.get(
      '/r',
      withAuth(auth, (c) => c.json(body(getAuth(c).subject))),
    )
  } else if (kind === 'hono/jwk') {
    const { jwk } = await import('hono/jwk')
    app.get(
      '/r',
      jwk({ jwks_uri: jwksUri, alg: ['RS256'], verification: { iss: issuer, aud: audience } }),
      (c) => c.json(body(c.get('jwtPayload').sub)),
    )
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
    void server
  })
}

async function node(kind) {
  let handler = (_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(body(SUBJECT)))
  }
  if (kind === 'jose') {
    const { createRemoteJWKSet, jwtVerify } = await import('jose')
    const jwks = createRemoteJWKSet(new URL(jwksUri))
    handler = (req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      if (!token) return res.writeHead(401).end()
      jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] }).then(
        ({ payload }) => {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify(body(payload.sub)))
        },
        () => res.writeHead(401).end(),
      )
    }
  }
  if (kind === 'keygate') {
    // Keygate's core in a server without a framework: what `authenticate` costs over the bare
    // check below, before any adapter.
    const { fromNodeRequest } = await import('../../packages/core/dist/http/index.js')
    const auth = createAuth(keygateOptions(false))
    handler = (req, res) => {
      auth.authenticate(fromNodeRequest(req)).then((result) => {
        if (!result.ok) return res.writeHead(401).end()
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(body(result.principal.subject)))
      })
    }
  }
  if (kind === 'crypto') {
    // The floor of any verifier in a server: one node:crypto RS256 check with a key imported at
    // start, nothing parsed or checked. What a verification costs inside a server, next to the
    // in-process figure run.mjs prints.
    const key = createPublicKey({ key: config.publicJwk, format: 'jwk' })
    handler = (req, res) => {
      const token = req.headers.authorization?.slice(7) ?? ''
      const dot = token.lastIndexOf('.')
      const data = Buffer.from(token.slice(0, dot), 'latin1')
      if (dot < 0 || !verify('sha256', data, key, Buffer.from(token.slice(dot + 1), 'base64url'))) {
        return res.writeHead(401).end()
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(body(SUBJECT)))
    }
  }
  const server = createServer(handler)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

// The yardsticks of the no-cache goal, measured in a fresh process on the servers' CPU: one
// Keygate verification of the token (warm keys, no cache: what `bench:verify` measures), and the
// bare node:crypto check of it, decoding the token as the `node:crypto verify only` server does
// (with that row, it shows how much dearer a signature check is in a server than in a tight
// loop). CPU µs per call: 3000 warm-up calls each, then 7 rounds of 1000 calls of each,
// interleaved so both see the same machine; the medians.
async function yardstick() {
  const auth = createAuth(keygateOptions(false))
  const key = createPublicKey({ key: config.publicJwk, format: 'jwk' })
  const { token } = config
  const dot = token.lastIndexOf('.')
  const bare = () =>
    verify(
      'sha256',
      Buffer.from(token.slice(0, dot), 'latin1'),
      key,
      Buffer.from(token.slice(dot + 1), 'base64url'),
    )
  const micros = async (call, n) => {
    const before = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const result = call()
      if (result instanceof Promise) await result
    }
    const used = process.cpuUsage(before)
    return (used.user + used.system) / n
  }
  const keygate = () => auth.verify(token)
  await micros(keygate, 3000)
  await micros(bare, 3000)
  const samples = { verify: [], crypto: [] }
  for (let round = 0; round < 7; round++) {
    samples.verify.push(await micros(keygate, 1000))
    samples.crypto.push(await micros(bare, 1000))
  }
  auth.close()
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1]
  process.stdout.write(
    `${JSON.stringify({ verify: median(samples.verify), crypto: median(samples.crypto) })}\n`,
  )
  process.exit(0)
}

const [framework, kind] = variant.split(':')
if (framework === 'yardstick') await yardstick()
const start = { express, fastify, hono, node }[framework]
const port = await start(kind)
process.stdout.write(`${JSON.stringify({ port })}\n`)
// The parent asks for this process's CPU time around each run: CPU per request is far less
// disturbed by other processes on a shared machine than req/s.
process.on('message', () => process.send(process.cpuUsage()))
