/**
 * A cheap, iterative pre-scan of JSON text that bounds nesting depth and the number of values
 * before `JSON.parse` builds anything. Tokens and key documents come from strangers: a body of
 * nested brackets costs little to send but overflows the stack of any recursive walk (a
 * `RangeError`, a 500) and stalls the event loop while objects are built and copied.
 */

/** Limits of one scan; a value is an array element or an object member. */
export interface JSONBounds {
  /** Deepest allowed nesting of arrays and objects (the top-level object is depth 1). */
  maxDepth: number
  /** Most values allowed in the whole document. */
  maxValues: number
}

/** What a scan found: the member names counted, or why the text is refused. */
export type JSONScan = { ok: true; members: number } | { ok: false; reason: 'depth' | 'values' }

/**
 * Walks `text` once, outside strings only, counting nesting depth, values (`,` plus each
 * non-empty container's first value, over-estimated by one per empty container) and member
 * names (`:`). Does not validate JSON: `JSON.parse` still does that, only after the bounds
 * have held, so a hostile document is refused at the cost of one linear pass.
 *
 * @example scanJSON('{"a":[1,2]}', { maxDepth: 8, maxValues: 100 }) // { ok: true, members: 1 }
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.2
 */
export function scanJSON(text: string, bounds: JSONBounds): JSONScan {
  let depth = 0
  let values = 0
  let members = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      // Skip the string: to the next quote not escaped by an odd run of backslashes.
      for (i++; i < length; i++) {
        const s = text.charCodeAt(i)
        if (s === 92) i++
        else if (s === 34) break
      }
    } else if (c === 91 || c === 123) {
      if (++depth > bounds.maxDepth) return { ok: false, reason: 'depth' }
      if (++values > bounds.maxValues) return { ok: false, reason: 'values' }
    } else if (c === 93 || c === 125) {
      depth--
    } else if (c === 44) {
      if (++values > bounds.maxValues) return { ok: false, reason: 'values' }
    } else if (c === 58) {
      members++
    }
  }
  return { ok: true, members }
}
