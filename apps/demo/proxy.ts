// Next.js 16's gate (Node runtime) for the orders API: every /api request needs a valid token from
// a trusted issuer and the method's permission (lib/keygate.ts). The page and its same-origin
// routes are not behind it: they call keygate-server and the APIs with the token the page holds.
import { keygate } from './lib/keygate'

export const proxy = keygate.proxy

export const config = { matcher: ['/api/:path*'] }
