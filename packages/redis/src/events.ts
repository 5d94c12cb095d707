/** Which part of `@keygate/redis` an event comes from. */
export type RedisPart = 'key-store' | 'token-store' | 'rate-limiter' | 'revocation'

/**
 * What `onEvent` receives. Every fallback is one of these: nothing degrades silently. Payloads
 * carry part names, operations and counts — never tokens, keys of tokens or revoked values.
 */
export type RedisEvent =
  /** A command failed or timed out, or the client was not ready; `fallback` says what happened instead. */
  | { type: 'command_failed'; part: RedisPart; operation: string; fallback: string; error: unknown }
  /** The rate limiter could not ask Redis: the attempt was refused (`failOpen: false`) or let through. */
  | { type: 'limiter_unavailable'; operation: 'check' | 'fail'; failOpen: boolean }
  /** The revocation list's subscription connection went down; the local copy keeps answering. */
  | { type: 'revocation_disconnected' }
  /** The revocation list (re)loaded every entry from Redis: at start and after each reconnect. */
  | { type: 'revocation_synced'; reason: 'start' | 'reconnect'; entries: number }
  /** A revocation arrived through pub/sub and is in the local copy. */
  | { type: 'revocation_received'; kind: RevocationKind }
  /** A pub/sub message that is not Keygate's format was ignored. */
  | { type: 'revocation_message_invalid' }
  /** The subscription connection reported an error (node-redis then reconnects by itself). */
  | { type: 'subscriber_error'; error: unknown }

/** What a revocation names: a token (`jti`), a refresh-token family, an API key (`client_id`) or a subject. */
export type RevocationKind = 'jti' | 'family' | 'client' | 'subject'
