// API key → access token at keygate-server's token endpoint (client_credentials).
import { demoContext } from '@/lib/context'
import { demoRoute, json, readObject, relay } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const POST = demoRoute(async (request) => {
  const body = await readObject(request)
  if (!body) return json({ error: 'invalid JSON body' }, 400)
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_secret: typeof body.key === 'string' ? body.key : '',
  })
  const answer = await relay(
    await fetch(`${demoContext().issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      cache: 'no-store',
    }),
  )
  // The page keeps only the access token, in memory; the refresh token is not needed there.
  if (answer.body !== null && typeof answer.body === 'object') {
    delete (answer.body as { refresh_token?: unknown }).refresh_token
  }
  return answer
})
