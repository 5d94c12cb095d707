/**
 * The page's own small server: static files from `public/` and a few same-origin routes, so the
 * browser needs no CORS and the admin token stays in this process.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'public')
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
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

export async function servePage({ port, issuer, admin, demoKey, apis, activity }) {
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
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
