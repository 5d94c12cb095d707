/**
 * Shared set-up for the issuer's own tests (not exported from the package): a fake clock, a
 * fixed encryption key and an issuer over a memory store that records its events.
 */
import { createIssuer } from './create-issuer.js'
import { createMemoryIssuerStore, type MemoryIssuerStore } from './memory-store.js'
import type { Issuer, IssuerEvent, IssuerOptions } from './types.js'

export const T0 = Date.UTC(2026, 0, 1)
export const ENCRYPTION_KEY = 'test-encryption-key-0123456789abcdef-0123456789'
export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnopqrstuvwxyz'
export const ISSUER = 'https://auth.example'
export const AUDIENCE = 'https://api.example'

export interface Fixture {
  issuer: Issuer
  store: MemoryIssuerStore
  events: IssuerEvent[]
  clock: { now: number; advance(ms: number): void }
  /** Calls `issuer.handle` with a request to `https://auth.example<path>`. */
  request(path: string, init?: RequestInit): Promise<Response>
  /** A form POST to `path`. */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>
}

export function setup(overrides: Partial<IssuerOptions> = {}, shared?: MemoryIssuerStore): Fixture {
  const clock = {
    now: T0,
    advance(ms: number) {
      clock.now += ms
    },
  }
  const events: IssuerEvent[] = []
  const store = shared ?? createMemoryIssuerStore()
  const issuer = createIssuer({
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    encryptionKey: ENCRYPTION_KEY,
    adminToken: ADMIN_TOKEN,
    clock: () => clock.now,
    onEvent: (e) => events.push(e),
    ...overrides,
  })
  const request = (path: string, init?: RequestInit) => issuer.handle(new Request(`${ISSUER}${path}`, init))
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    })
  return { issuer, store, events, clock, request, post }
}

/** `Authorization: Basic` for a key (client_id = key id, client_secret = the whole key). */
export function basic(id: string, key: string): string {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(key)}`)}`
}

/** Decodes a JWT's payload and header without verifying (tests only). */
export function decodeJWT(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
} {
  const [h, p] = token.split('.')
  const json = (s: string) =>
    JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
      ),
    )
  return { header: json(h!), payload: json(p!) }
}
