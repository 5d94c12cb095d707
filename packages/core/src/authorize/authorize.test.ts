import { describe, expect, it } from 'vitest'
import { InsufficientScopeError, TokenRevokedError } from '../errors.js'
import { httpError } from '../http/http-error.js'
import type { Principal } from '../types.js'
import { authorize } from './authorize.js'
import { defineRequirement } from './requirement.js'
import type { AuthorizeResult } from './types.js'

function principalWith(
  fields: Partial<Pick<Principal, 'subject' | 'scopes' | 'permissions' | 'groups' | 'roles'>>,
): Principal {
  return {
    subject: 'alice',
    issuer: 'https://issuer.test',
    claims: { sub: 'alice', tenant: 'acme' },
    header: { alg: 'ES256' },
    token: 'h.p.s',
    scopes: [],
    permissions: [],
    groups: [],
    roles: [],
    ...fields,
  }
}

function failure(result: AuthorizeResult) {
  if (result.ok) throw new Error('expected a failed authorization')
  return result.error
}

const alice = principalWith({
  scopes: ['orders:read', 'orders:write'],
  permissions: ['invoice:read'],
  groups: ['staff'],
  roles: ['editor'],
})

describe('authorize: all-of and any-of', () => {
  it('passes when every all-of value is held', async () => {
    expect(await authorize(alice, { scopes: ['orders:read', 'orders:write'] })).toEqual({ ok: true })
    expect(await authorize(alice, { scopes: { allOf: ['orders:read'] }, roles: ['editor'] })).toEqual({
      ok: true,
    })
  })

  it('fails naming exactly the missing all-of values', async () => {
    const error = failure(await authorize(alice, { scopes: ['orders:read', 'orders:delete', 'admin'] }))
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect(error).toMatchObject({ code: 'ERR_INSUFFICIENT_SCOPE', status: 403 })
    expect((error as InsufficientScopeError).missing).toEqual({ scopes: ['orders:delete', 'admin'] })
  })

  it('passes an any-of with one value held, and names the whole any-of when none is', async () => {
    expect(await authorize(alice, { roles: { anyOf: ['admin', 'editor'] } })).toEqual({ ok: true })
    const error = failure(await authorize(alice, { roles: { anyOf: ['admin', 'owner'] } }))
    expect((error as InsufficientScopeError).missing).toEqual({ roles: ['admin', 'owner'] })
  })

  it('needs both parts when a field has all-of and any-of', async () => {
    const spec = { groups: { allOf: ['staff'], anyOf: ['eu', 'us'] } }
    const lacking = failure(await authorize(alice, spec))
    expect((lacking as InsufficientScopeError).missing).toEqual({ groups: ['eu', 'us'] })
    expect(await authorize(principalWith({ groups: ['staff', 'us'] }), spec)).toEqual({ ok: true })
    const noStaff = failure(await authorize(principalWith({ groups: ['us'] }), spec))
    expect((noStaff as InsufficientScopeError).missing).toEqual({ groups: ['staff'] })
  })

  it('checks every field and reports all that are missing', async () => {
    const error = failure(
      await authorize(alice, {
        scopes: ['orders:read'],
        permissions: ['invoice:write'],
        groups: { anyOf: ['finance'] },
        roles: ['editor'],
      }),
    )
    expect((error as InsufficientScopeError).missing).toEqual({
      permissions: ['invoice:write'],
      groups: ['finance'],
    })
  })

  it('passes an empty requirement (authenticated is enough)', async () => {
    expect(await authorize(principalWith({}), {})).toEqual({ ok: true })
  })
})

describe('authorize: admin permission', () => {
  it('passes everything, predicates included, for a holder of the admin permission', async () => {
    let predicateCalls = 0
    const spec = defineRequirement({
      scopes: ['orders:delete'],
      roles: { anyOf: ['owner'] },
      predicates: [
        function neverTrue() {
          predicateCalls += 1
          return false
        },
      ],
      adminPermission: 'admin',
    })
    expect(await authorize(principalWith({ permissions: ['admin'] }), spec)).toEqual({ ok: true })
    expect(predicateCalls).toBe(0)
  })

  it('does nothing for principals without it, and only counts as a permission', async () => {
    const spec = { scopes: ['orders:delete'], adminPermission: 'admin' }
    expect((await authorize(alice, spec)).ok).toBe(false)
    expect((await authorize(principalWith({ roles: ['admin'], scopes: ['admin'] }), spec)).ok).toBe(false)
  })
})

describe('authorize: predicates', () => {
  it('runs sync and async predicates, all of which must return true', async () => {
    const sameTenant = (p: Principal) => p.claims.tenant === 'acme'
    const isActive = async (p: Principal) => p.subject === 'alice'
    expect(await authorize(alice, { predicates: [sameTenant, isActive] })).toEqual({ ok: true })
    expect(
      await authorize(principalWith({ subject: 'bob' }), { predicates: [sameTenant, isActive] }),
    ).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'ERR_INSUFFICIENT_SCOPE', missing: { predicate: 'isActive' } }),
    })
  })

  it('names a failing sync predicate and an anonymous one', async () => {
    function isOwner() {
      return false
    }
    const named = failure(await authorize(alice, { predicates: [isOwner] }))
    expect((named as InsufficientScopeError).missing).toEqual({ predicate: 'isOwner' })
    const anonymous = failure(
      await authorize(alice, {
        predicates: [
          (
            () => () =>
              false
          )(),
        ],
      }),
    )
    expect((anonymous as InsufficientScopeError).missing).toEqual({ predicate: 'anonymous' })
  })

  it('passes only on true: a truthy non-boolean denies', async () => {
    const sloppy = (() => 'yes') as unknown as () => boolean
    expect((await authorize(alice, { predicates: [sloppy] })).ok).toBe(false)
  })

  it('skips predicates when a field already fails', async () => {
    let calls = 0
    const counted = () => {
      calls += 1
      return true
    }
    await authorize(alice, { roles: ['admin'], predicates: [counted] })
    expect(calls).toBe(0)
  })

  it('turns a throwing predicate into a 503 and passes Keygate errors through', async () => {
    const lookup = async () => {
      throw new Error('db down')
    }
    expect(failure(await authorize(alice, { predicates: [lookup] }))).toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
      status: 503,
    })
    const revoked = () => {
      throw new TokenRevokedError('session ended')
    }
    expect(failure(await authorize(alice, { predicates: [revoked] }))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    })
  })
})

describe('authorize: errors and HTTP', () => {
  it('gives 403 with insufficient_scope and the missing scopes in the challenge', async () => {
    const error = failure(
      await authorize(alice, { scopes: ['orders:read', 'orders:delete'], roles: ['admin'] }),
    )
    const response = httpError(error, { realm: 'api' })
    expect(response.status).toBe(403)
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="insufficient_scope"/)
    expect(response.headers['www-authenticate']).toContain('scope="orders:delete"')
    expect(response.body).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
      required: { scopes: ['orders:delete'], roles: ['admin'] },
    })
  })

  it('throws ConfigurationError for a malformed plain requirement', async () => {
    await expect(authorize(alice, { scopes: 'orders:read' } as never)).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION',
    })
    await expect(authorize(alice, { scope: ['x'] } as never)).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION',
    })
  })
})
