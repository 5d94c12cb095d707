/** One framework-neutral contract case: `run` throws an `Error` when the store breaks the contract. */
export interface ContractCase {
  name: string
  run: () => Promise<void>
}

/** An assertion that names the contract it belongs to, for the store suites in this folder. */
export function createCheck(contract: string): (condition: boolean, message: string) => asserts condition {
  return (condition, message) => {
    if (!condition) throw new Error(`${contract} contract: ${message}`)
  }
}

/** Stable JSON (sorted members) so equality does not depend on a store's member order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : inner,
  )
}
