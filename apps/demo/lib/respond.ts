// Small helpers of the page's same-origin routes (app/demo/*).

/** Bodies of the page's POSTs are tiny JSON objects. */
const MAX_BODY_BYTES = 16_384

/** What the page shows of an answer from keygate-server or an API. */
export interface Relayed {
  status: number
  body: unknown
  wwwAuthenticate: string | null
}

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store' } })
}

/** The request's JSON object, or undefined for a body that is too large, not JSON or not an object. */
export async function readObject(request: Request): Promise<Record<string, unknown> | undefined> {
  const reader = request.body?.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (reader) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  try {
    const text = new TextDecoder().decode(Buffer.concat(chunks))
    const value: unknown = JSON.parse(text || '{}')
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** An answer's status, body (JSON when it parses) and challenge, for the page to show. */
export async function relay(response: Response): Promise<Relayed> {
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, body, wwwAuthenticate: response.headers.get('www-authenticate') }
}

/**
 * A route of the page: its result as JSON (a `Response` as is); a failure (a demo service down or
 * stopping) as a 503 that says so without details.
 */
export function demoRoute(
  run: (request: Request) => Promise<unknown>,
): (request: Request) => Promise<Response> {
  return async function demoRouteHandler(request) {
    try {
      const result = await run(request)
      return result instanceof Response ? result : json(result)
    } catch {
      return json({ error: 'a demo service is unavailable' }, 503)
    }
  }
}
