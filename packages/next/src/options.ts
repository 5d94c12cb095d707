/**
 * The one option bag of `createKeygate`, and its resolution into settings shared by the
 * middleware, `withAuth` and `auth()`. Builds on core's `createAuth`.
 */
import {
  type Auth,
  type AuthenticateOptions,
  type AuthOptions,
  createAuth,
  type Duration,
  type Requirement,
} from '@keygate/core'
import { type AuthError, ConfigurationError } from '@keygate/core/errors'
import type { NextRequest } from 'next/server.js'
import type { RouteMatcher } from './route-matcher.js'
import { assertSecret } from './signed-principal.js'

/** Options of `createKeygate` (and of `createMiddleware`, `createRouteAuth`, `createServerAuth`). */
export interface KeygateOptions {
  /** A ready `Auth` from core's `createAuth`; or give `authOptions`. */
  auth?: Auth
  /**
   * Options for core's `createAuth`, run on the first request rather than at import, so that
   * `next build` (which imports your modules) needs neither your issuer settings nor network.
   */
  authOptions?: AuthOptions
  /** `realm` of the `WWW-Authenticate` challenges (RFC 6750 §3). */
  realm?: string
  /** Custom token finder (a cookie, another header); replaces `Authorization: Bearer`. */
  getToken?: AuthenticateOptions['getToken']
  /** Accept `?access_token=` (RFC 6750 §2.3). Default false. */
  allowQuery?: boolean
  /**
   * Secret (≥ 32 characters) the middleware signs the principal header with, and route
   * handlers and server components check it with. Default `process.env.KEYGATE_INTERNAL_SECRET`.
   * Without one, the middleware forwards no principal and every handler verifies the token itself.
   */
  signingSecret?: string
  /** Lifetime of a signed principal header. Default 60 s. */
  principalTTL?: Duration
  /** Renders an error your own way; return `undefined` to fall back to Keygate's response. */
  onError?: (error: AuthError, request: Request) => Response | undefined | Promise<Response | undefined>
  /** Middleware: paths that pass without any token (`'/'`, `'/health'`, `'/docs/**'`, `/^\/public\//`). */
  publicRoutes?: readonly RouteMatcher[]
  /** Middleware: let requests without a token through (`true`), or only on these paths. A bad token is never anonymous. */
  optional?: boolean | readonly RouteMatcher[]
  /** Middleware: a requirement for every authenticated request, or one chosen per request. */
  requirement?: Requirement | ((request: NextRequest) => Requirement | undefined)
  /** `requireAuth()`: redirect here (with `next/navigation`'s `redirect`) when nobody is signed in. */
  loginUrl?: string
  /**
   * Server code answers a client's mistake with Next.js's auth interrupts instead of throwing:
   * `unauthorized()` (401) for a missing or bad token when there is no `loginUrl`, `forbidden()`
   * (403) for an unmet requirement. Keys or provider unavailable (503) is still thrown. Needs
   * Next.js ≥ 15.1 and `experimental: { authInterrupts: true }` in `next.config`. Default false.
   */
  interrupts?: boolean
  /** Clock (ms since the epoch) for the principal header's expiry. */
  clock?: () => number
}

/** What the middleware, route handlers and server code share once options are resolved. */
export interface Settings {
  readonly options: KeygateOptions
  /** The core `Auth`, created on first use. */
  getAuth(): Auth
  readonly authenticateOptions: AuthenticateOptions
  /** The same with `optional: true`: a request without any token is anonymous. */
  readonly optionalAuthenticateOptions: AuthenticateOptions
  readonly secret: string | undefined
  readonly now: () => number
  readonly challenge: { realm?: string }
}

/** Resolves options once, at construction: a missing `auth`/`authOptions` or a weak secret throws here. */
export function resolveSettings(options: KeygateOptions): Settings {
  if (!options.auth && !options.authOptions) {
    throw new ConfigurationError('Keygate for Next.js needs `auth` (from createAuth) or `authOptions`')
  }
  const secret = options.signingSecret ?? envSecret()
  let auth = options.auth
  return {
    options,
    getAuth: () => (auth ??= createAuth(options.authOptions!)),
    authenticateOptions: { getToken: options.getToken, allowQuery: options.allowQuery },
    optionalAuthenticateOptions: {
      getToken: options.getToken,
      allowQuery: options.allowQuery,
      optional: true,
    },
    secret: secret === undefined || secret === '' ? undefined : assertSecret(secret),
    now: options.clock ?? Date.now,
    challenge: options.realm === undefined ? {} : { realm: options.realm },
  }
}

// Written as a literal `process.env.NAME` so Next.js's edge build sees the variable it must
// expose to middleware; `typeof` guards runtimes that have no `process` at all.
function envSecret(): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env.KEYGATE_INTERNAL_SECRET
}
