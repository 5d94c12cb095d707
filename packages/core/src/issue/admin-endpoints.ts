import { NotFoundError } from '../errors.js'
import type { Duration } from '../types.js'
import type { IssuerContext } from './context.js'
import type { IssuerRequest, IssuerResponse } from './exchange.js'
import { authenticateAdmin } from './guards.js'
import { readJSONObject } from './request-body.js'
import { emptyNoStore, errorResponse, jsonNoStore } from './responses.js'

/** API key ids are 16 base62 characters; anything else cannot exist. */
const KEY_ID = /^[0-9A-Za-z]{16}$/

/**
 * The admin routes for API keys, behind `Authorization: Bearer <adminToken>`:
 * `POST /admin/api-keys` (JSON `{ subject, name, permissions?, audience?, expiresIn?, metadata? }`
 * → 201 `{ id, key, record }`), `GET /admin/api-keys[?subject=]`, `GET /admin/api-keys/:id`,
 * `DELETE /admin/api-keys/:id` (204).
 */
export async function adminEndpoint(
  ctx: IssuerContext,
  request: IssuerRequest,
  action: 'create' | 'list' | 'get' | 'revoke',
  id: string | undefined,
): Promise<IssuerResponse> {
  try {
    await authenticateAdmin(ctx, request, 'admin')
    if (action === 'create') {
      const body = await readJSONObject(request, ctx.maxBodyBytes)
      const created = await ctx.apiKeys.create({
        subject: body.subject as string,
        name: body.name as string,
        permissions: body.permissions as string[] | undefined,
        audience: body.audience as string[] | undefined,
        expiresIn: body.expiresIn as Duration | undefined,
        metadata: body.metadata as Record<string, unknown> | undefined,
      })
      return jsonNoStore(201, created, { location: `${ctx.publicUrl}/admin/api-keys/${created.id}` })
    }
    if (action === 'list') {
      const query = request.url.indexOf('?')
      const subject = query < 0 ? null : new URLSearchParams(request.url.slice(query + 1)).get('subject')
      return jsonNoStore(200, { keys: await ctx.apiKeys.list(subject === null ? {} : { subject }) })
    }
    const record = id !== undefined && KEY_ID.test(id) ? await ctx.apiKeys.get(id) : undefined
    if (!record) throw new NotFoundError('No such API key')
    if (action === 'get') return jsonNoStore(200, record)
    await ctx.apiKeys.revoke(record.id)
    return emptyNoStore(204)
  } catch (error) {
    return errorResponse(error, { bearer: true })
  }
}
