/**
 * The lifetime of a JWT as its issuer meant it, `exp - iat` in ms, for responses that carry no
 * `expires_in` (JWThenticator's `/authenticate` and `/refresh`). Both numbers come from the
 * issuer's clock, so the local wall clock plays no part; the lifetime is then counted on the
 * monotonic clock from receipt. Only a token without `iat` is measured against the local clock.
 * The signature is not checked: the client only schedules its own refresh with this.
 */
export function jwtLifetimeMs(token: string, wallClock: () => number): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  let claims: unknown
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    claims = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return undefined
  }
  if (typeof claims !== 'object' || claims === null) return undefined
  const { exp, iat } = claims as { exp?: unknown; iat?: unknown }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
  const lifetime =
    typeof iat === 'number' && Number.isFinite(iat) ? (exp - iat) * 1000 : exp * 1000 - wallClock()
  return lifetime > 0 ? lifetime : undefined
}
