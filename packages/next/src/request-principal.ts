/**
 * The principal already resolved for a request, so `getAuth(request)` inside a `withAuth`
 * handler costs nothing. Keyed by the request object itself: its headers (and so its token)
 * cannot change, and nothing outlives the request.
 */
import type { Principal } from '@keygate/core'

const principals = new WeakMap<object, Principal>()

/** Records the principal resolved for `request`. */
export function rememberPrincipal(request: object, principal: Principal): void {
  principals.set(request, principal)
}

/** The principal recorded for `request`, if any. */
export function rememberedPrincipal(request: object): Principal | undefined {
  return principals.get(request)
}
