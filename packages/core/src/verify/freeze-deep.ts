/**
 * Freezes an object graph (JSON-shaped: no cycles). Used on what several requests share — a
 * remembered header, a cached principal — so that no caller can change what the next one sees.
 *
 * @example const shared = freezeDeep(JSON.parse(text))
 */
export function freezeDeep<T>(value: T): T {
  // An explicit stack: the graph may come from a token, and its depth is the sender's choice.
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const inner = stack.pop()
    if (typeof inner === 'object' && inner !== null && !Object.isFrozen(inner)) {
      Object.freeze(inner)
      for (const member of Object.values(inner)) stack.push(member)
    }
  }
  return value
}
