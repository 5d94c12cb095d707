/**
 * Reaching Node built-ins without a static `node:*` import, so the same build runs on edge
 * runtimes (which have no `process`) and on Node (which gets the fast path).
 * `process.getBuiltinModule` exists from Node 20.16 / 22.3.
 */
interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown
}

/** Returns a Node built-in module, or `undefined` off Node (or when Node globals are hidden). */
export function getBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process
  if (!proc || typeof proc.getBuiltinModule !== 'function') return undefined
  try {
    return proc.getBuiltinModule(id) as T | undefined
  } catch {
    return undefined
  }
}
