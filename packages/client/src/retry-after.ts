/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns milliseconds,
 * or `undefined` when absent or unreadable. A date is compared with the wall clock: that is what
 * the header means, and a wrong local clock only makes the wait longer or shorter, never unbounded
 * (callers clamp it).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function retryAfterMs(headers: Headers, wallClock: () => number): number | undefined {
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - wallClock())
}
