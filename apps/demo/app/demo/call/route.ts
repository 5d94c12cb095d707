// One call to an orders API, with or without the token, reporting status, body and challenge.
// Made from here rather than from the browser: the APIs live on other origins (no CORS needed).
import { demoContext } from '@/lib/context'
import { demoRoute, json, readObject, relay } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const POST = demoRoute(async (request) => {
  const body = await readObject(request)
  if (!body) return json({ error: 'invalid JSON body' }, 400)
  const { apis } = demoContext()
  const url = typeof body.api === 'string' && Object.hasOwn(apis, body.api) ? apis[body.api] : undefined
  if (!url) return { status: 400, body: { error: 'unknown api' }, wwwAuthenticate: null }
  const method = body.method === 'POST' ? 'POST' : 'GET'
  const headers: Record<string, string> =
    typeof body.token === 'string' && body.token ? { authorization: `Bearer ${body.token}` } : {}
  return relay(await fetch(url, { method, headers, cache: 'no-store' }))
})
