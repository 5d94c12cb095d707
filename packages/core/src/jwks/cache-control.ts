/** The clamps and fallback that bound how long a fetched JWKS is kept. */
export interface FreshnessBounds {
  /** Used when the response says nothing about caching. */
  defaultMs: number
  minMs: number
  maxMs: number
}

/**
 * How long a JWKS response may be used, from its `Cache-Control` header: `max-age` within the
 * clamps (so an issuer can neither pin keys for a year nor make us fetch on every request),
 * `no-cache`/`no-store` as the lower clamp, the configured max age otherwise.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2
 */
export function freshnessFromCacheControl(header: string | null, bounds: FreshnessBounds): number {
  if (!header) return bounds.defaultMs
  let maxAgeMs: number | undefined
  for (const part of header.split(',')) {
    const [rawName = '', rawValue] = part.split('=', 2)
    const name = rawName.trim().toLowerCase()
    if (name === 'no-cache' || name === 'no-store') return bounds.minMs
    if (name === 'max-age' && rawValue !== undefined) {
      const value = rawValue.trim().replace(/^"(.*)"$/, '$1')
      if (/^\d+$/.test(value)) maxAgeMs = Number(value) * 1000
    }
  }
  if (maxAgeMs === undefined) return bounds.defaultMs
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, maxAgeMs))
}
