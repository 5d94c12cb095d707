/**
 * Freezes an object graph (JSON-shaped: no cycles). Used on what several requests share — a
 * remembered header, a cached principal — so that no caller can change what the next one sees.
 *
 * @example const shared = freezeDeep(JSON.parse(text))
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) freezeDeep(inner)
  }
  return value
}
