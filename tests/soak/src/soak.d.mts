// Types of soak.mjs, for the CI test and editors.

export declare const FRAMEWORKS: readonly ['express', 'fastify', 'hono']

export interface SoakOptions {
  /** Load phase, after start-up (the run goes on, bounded by `maxExtensionMs`, until its minimums are met). */
  durationMs: number
  /** The RSS "start" sample is taken this long into the load phase. Default: a tenth, 5–60 s. */
  warmupMs?: number
  /** Callers with orders:read and orders:write. Default 3. */
  writers?: number
  /** Callers with orders:read only: their POSTs must get 403. Default 1. */
  readers?: number
  /** Writers whose API key is revoked during the run, each replaced by a new writer. Default 2. */
  revoked?: number
  /** Calls in flight per caller. Default 2. */
  concurrency?: number
  /** KEYGATE_ACCESS_TOKEN_TTL. Default '10s'. */
  accessTokenTtl?: string
  /** KEYGATE_ROTATE_EVERY. Default '10s'. */
  rotateEvery?: string
  /** KEYGATE_PUBLISH_AHEAD. Default '5s'. */
  publishAhead?: string
  /** KEYGATE_RETIRE_AFTER (at least the token lifetime plus one minute). Default '75s'. */
  retireAfter?: string
  /** KEYGATE_SIGNING_ALGORITHM. Default 'EdDSA'. */
  algorithm?: 'EdDSA' | 'ES256' | 'RS256'
  /** A call not settled by then is an unexpected timeout. Default 60 000. */
  callTimeoutMs?: number
  /** How long the run may go on past `durationMs` waiting for its minimums. Default max(60 s, durationMs). */
  maxExtensionMs?: number
  /** Every caller's issuer requests come from one address (services behind one NAT) instead of one each. */
  sharedAddress?: boolean
  /** PostgreSQL instead of PGlite (a schema of its own, dropped afterwards). */
  databaseUrl?: string
  log?: (line: string) => void
}

export interface APIAccounting {
  api: string
  driver2xx: number
  api2xx: number
  driver403: number
  api403: number
  /** 401s the API sent, including those the client retried with a new token. */
  api401RetriedOrFinal: number
  api5xx: number
  ordersStored: number
  ordersMatch: boolean
  kidsSeen: number
  jwksFetches: number
  kidMisses: number
}

export interface RSSRow {
  process: string
  startMB: number
  endMB: number
  maxMB: number
  /** end ≤ start × 1.2 + 16 MB */
  flat: boolean
  /** V8 heap right after a full GC; null where the soak cannot trigger one (keygate-server, a driver without --expose-gc). */
  heapAfterGCStartMB: number | null
  heapAfterGCEndMB: number | null
  /** end ≤ start × 1.2 + 4 MB; null when not measured */
  heapFlat: boolean | null
}

export interface SoakReport {
  /** No unexpected outcome and no problem. */
  ok: boolean
  startupSeconds: number
  loadSeconds: number
  callers: { subject: string; kind: 'writer' | 'reader' | 'revoked'; events: Record<string, number> }[]
  sent: number
  settled: number
  /** sent − settled: calls whose promise never settled. */
  lost: number
  /** Outcome class → API → count. */
  byClass: Record<string, Record<string, number>>
  unexpected: { class: string; count: number; example: string }[]
  clientEvents: Record<string, number>
  refreshes: number
  signingKeysSeen: number
  rotationsSeen: number
  revocations: { subject: string; atSeconds: number }[]
  accounting: APIAccounting[]
  rss: RSSRow[]
  rssFlat: boolean
  /** No measured heap-after-GC grew. */
  heapFlat: boolean
  server: { exitCode: number | null; errorLogs: number; warnLogs: number }
  problems: string[]
}

/** `'10s'` → 10000 (ms, s, m, h), or a number of ms. */
export declare function parseDuration(value: string | number): number

/** Runs the whole soak and resolves with its report; rejects only when something cannot start. */
export declare function runSoak(options: SoakOptions): Promise<SoakReport>
