import { describe, expect, it } from 'vitest'
import { issuerRoutes } from './issuer-routes.js'

describe('issuerRoutes', () => {
  it('hands every method to issuer.handle with the original request', async () => {
    const seen: string[] = []
    const routes = issuerRoutes({
      async handle(request) {
        seen.push(`${request.method} ${new URL(request.url).pathname}`)
        return new Response(null, { status: 204 })
      },
    })
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const response = await routes[method](new Request('http://127.0.0.1/oauth/token', { method }))
      expect(response.status).toBe(204)
    }
    expect(seen).toEqual([
      'GET /oauth/token',
      'HEAD /oauth/token',
      'POST /oauth/token',
      'PUT /oauth/token',
      'PATCH /oauth/token',
      'DELETE /oauth/token',
      'OPTIONS /oauth/token',
    ])
  })
})
