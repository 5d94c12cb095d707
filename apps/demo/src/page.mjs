/**
 * The page's own small server: static files from `public/` and a few same-origin routes, so the
 * browser needs no CORS and the admin token stays in this process.
 */

import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { createSessions, toWebSessionResponse } from '@keygate/core/session'
import { USER_AUDIENCE } from './apis.mjs'

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'public')
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
}
/** The demo user, shown on the page: a demo has no user directory. */
const DEMO_USER = {
  username: 'demo',
  password: 'demo',
  subject: 'user-demo',
  permissions: ['orders:read', 'orders:write'],
}
/** Bodies of the page's POSTs are tiny JSON objects. */
const MAX_BODY = 16_384

async function readJSON(req) {
  let size = 0
  const chunks = []
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk)
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
    return value !== null && typeof value === 'object' ? value : undefined
  } catch {
    return undefined
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function relay(response) {
  const text = await response.text()
  let body = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, body, wwwAuthenticate: response.headers.get('www-authenticate') }
}

/** A Web `Request` for a node:http request (the body read in full; the page's bodies are tiny). */
async function toRequest(req, origin) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value)
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks)
  return new Request(`${origin}${req.url}`, { method: req.method, headers, body })
}

async function sendWeb(res, response) {
  const headers = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  res.writeHead(response.status, headers)
  res.end(Buffer.from(await response.arrayBuffer()))
}

export async function servePage({ port, issuer, admin, demoKey, apis, activity }) {
  const origin = `http://127.0.0.1:${port}`
  // The web app's own issuer for its users: its origin is the `iss`, its JWKS is served below.
  // Memory store: user sessions end with the process (the service keys live in keygate-server).
  const users = createIssuer({
    issuer: origin,
    audience: USER_AUDIENCE,
    store: createMemoryIssuerStore(),
    encryptionKey: randomBytes(32).toString('base64url'),
    accessTokenTtl: '20s',
    signing: { retireAfter: '5m' },
  })
  // development: plain HTTP on 127.0.0.1, so the refresh cookie has no Secure flag or prefix.
  const sessions = createSessions({ issuer: users, allowedOrigins: [origin], development: true })
  const web = {
    'GET /.well-known/jwks.json': (request) => users.handle(request),
    'POST /auth/session/refresh': (request) => sessions.handle(request),
    'POST /auth/session/logout': (request) => sessions.handle(request),
    'POST /demo/login': async (request) => {
      let body
      try {
        body = await request.json()
      } catch {
        body = {}
      }
      if (body?.username !== DEMO_USER.username || body?.password !== DEMO_USER.password) {
        return Response.json(
          { error: 'invalid_credentials' },
          { status: 401, headers: { 'cache-control': 'no-store' } },
        )
      }
      return toWebSessionResponse(
        await sessions.login(request, { subject: DEMO_USER.subject, permissions: DEMO_USER.permissions }),
      )
    },
  }
  const routes = {
    'GET /demo/info': async () => ({
      issuer,
      apis,
      key: demoKey.key,
      keyId: demoKey.id,
      permissions: demoKey.record?.permissions ?? ['orders:read'],
    }),
    'GET /demo/activity': async () => ({ activity: activity() }),
    'GET /demo/jwks': async () => {
      const jwks = await (await fetch(`${issuer}/.well-known/jwks.json`)).json()
      return { kids: jwks.keys.map((k) => k.kid) }
    },
    // API key → access token at keygate-server's token endpoint (client_credentials).
    'POST /demo/token': async (body) => {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_secret: String(body.key ?? ''),
      })
      const answer = await relay(
        await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        }),
      )
      // The page keeps only the access token, in memory; the refresh token is not needed here.
      if (answer.body && typeof answer.body === 'object') delete answer.body.refresh_token
      return answer
    },
    // One call to an API, with or without the token, reporting status, body and challenge.
    'POST /demo/call': async (body) => {
      const base = apis[body.api]
      if (!base) return { status: 400, body: { error: 'unknown api' }, wwwAuthenticate: null }
      const method = body.method === 'POST' ? 'POST' : 'GET'
      const headers =
        typeof body.token === 'string' && body.token ? { authorization: `Bearer ${body.token}` } : {}
      return relay(await fetch(`${base}/orders`, { method, headers }))
    },
    'POST /demo/rotate': async () =>
      relay(await fetch(`${issuer}/admin/signing-keys/rotate`, { method: 'POST', headers: admin })),
    'POST /demo/revoke': async () =>
      relay(await fetch(`${issuer}/admin/api-keys/${demoKey.id}`, { method: 'DELETE', headers: admin })),
  }

  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0]
      const file = req.method === 'GET' ? STATIC[path] : undefined
      if (file) {
        res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' })
        res.end(await readFile(join(PUBLIC, file[0])))
        return
      }
      const webRoute = web[`${req.method} ${path}`]
      if (webRoute) return sendWeb(res, await webRoute(await toRequest(req, origin)))
      const route = routes[`${req.method} ${path}`]
      if (!route) return send(res, 404, { error: 'not found' })
      const body = req.method === 'POST' ? await readJSON(req) : {}
      if (body === undefined) return send(res, 400, { error: 'invalid JSON body' })
      send(res, 200, await route(body))
    } catch {
      // A service of the demo is down (or stopping): say so, without details.
      send(res, 503, { error: 'a demo service is unavailable' })
    }
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: origin,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
