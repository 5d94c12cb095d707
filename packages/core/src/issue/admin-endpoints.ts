import { InvalidRequestError, NotFoundError } from '../errors.js'
import type { Duration } from '../types.js'
import type { IssuerContext } from './context.js'
import type { IssuerRequest, IssuerResponse } from './exchange.js'
import { authenticateAdmin } from './guards.js'
import { readJSONObject } from './request-body.js'
import { emptyNoStore, errorResponse, jsonNoStore } from './responses.js'

/** API key ids are 16 base62 characters; anything else cannot exist. */
const KEY_ID = /^[0-9A-Za-z]{16}$/
/** Keys per page of `GET /admin/api-keys` when `limit` is not given. */
const DEFAULT_LIST_LIMIT = 100
/** The largest page: one response stays a bounded size however many keys there are. */
const MAX_LIST_LIMIT = 1000

/** One page of keys: `subject` and `after` (a key id) filter, `limit` caps. Bad values are a 400. */
function readListQuery(url: string): { subject?: string; after?: string; limit: number } {
  const query = url.indexOf('?')
  const params = new URLSearchParams(query < 0 ? '' : url.slice(query + 1))
  const one = (name: string): string | undefined => {
    const values = params.getAll(name)
    if (values.length > 1) throw new InvalidRequestError(`Repeated query parameter: ${name}`)
    return values[0]
  }
  const subject = one('subject')
  const after = one('after')
  const limitText = one('limit')
  // A cursor is always a key id we handed out; anything else is a client's mistake, not a page.
  if (after !== undefined && !KEY_ID.test(after)) throw new InvalidRequestError('after must be an API key id')
  let limit = DEFAULT_LIST_LIMIT
  if (limitText !== undefined) {
    limit = /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : 0
    if (limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidRequestError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
    }
  }
  return { ...(subject !== undefined && { subject }), ...(after !== undefined && { after }), limit }
}

/**
 * The admin routes for API keys, behind `Authorization: Bearer <adminToken>`:
 * `POST /admin/api-keys` (JSON `{ subject, name, permissions?, audience?, expiresIn?, metadata? }`
 * → 201 `{ id, key, record }`), `GET /admin/api-keys[?subject=&limit=&after=]` (200 `{ keys, next }`,
 * keyset paged oldest first; `next` is the `after` of the following page, or null), `GET /admin/api-keys/:id`,
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
      const { limit, ...filter } = readListQuery(request.url)
      // One key more than the page tells whether another page exists, so `next` is null on the
      // last page instead of pointing at an empty one.
      const keys = await ctx.apiKeys.list({ ...filter, limit: limit + 1 })
      const more = keys.length > limit
      if (more) keys.length = limit
      return jsonNoStore(200, { keys, next: more ? keys[limit - 1]!.id : null })
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

/**
 * `POST /admin/signing-keys/rotate` (admin Bearer, no body): a forced rotation
 * (`issuer.rotateKeys({ now: true })`) → 200 `{ kid }`, the kid that signs from now on.
 * 503 with `Retry-After` when the store cannot be reached.
 */
export async function rotateSigningKeysEndpoint(
  ctx: IssuerContext,
  request: IssuerRequest,
): Promise<IssuerResponse> {
  try {
    await authenticateAdmin(ctx, request, 'admin')
    return jsonNoStore(200, { kid: await ctx.keyRing.rotateNow() })
  } catch (error) {
    return errorResponse(error, { bearer: true })
  }
}
