// The web app's own issuer for its users (browser sessions, @keygate/core/session): its origin is
// the `iss`, its JWKS is served at /.well-known/jwks.json, and the orders APIs trust it next to
// keygate-server. Memory store: user sessions end with the process (service keys live in
// keygate-server). Kept on globalThis so that every route bundle shares the one instance.
import { createIssuer, createMemoryIssuerStore, type Issuer } from '@keygate/core'
import { createSessions, type Sessions } from '@keygate/core/session'
import { USER_AUDIENCE } from '../src/orders.mjs'
import { demoContext } from './context'

/** The demo user, shown on the page: a demo has no user directory. */
export const DEMO_USER = {
  username: 'demo',
  password: 'demo',
  subject: 'user-demo',
  permissions: ['orders:read', 'orders:write'],
}

interface Users {
  issuer: Issuer
  sessions: Sessions
}

const shared = globalThis as { keygateDemoUsers?: Users }

/** Created on first use: the issuer needs this run's origin, which `next build` does not know. */
export function users(): Users {
  if (!shared.keygateDemoUsers) {
    const { web } = demoContext()
    const issuer = createIssuer({
      issuer: web,
      audience: USER_AUDIENCE,
      store: createMemoryIssuerStore(),
      encryptionKey: crypto.getRandomValues(new Uint8Array(32)),
      accessTokenTtl: '20s',
      signing: { retireAfter: '5m' },
    })
    // development: plain HTTP on 127.0.0.1, so the refresh cookie has no Secure flag or prefix.
    const sessions = createSessions({ issuer, allowedOrigins: [web], development: true })
    shared.keygateDemoUsers = { issuer, sessions }
  }
  return shared.keygateDemoUsers
}
