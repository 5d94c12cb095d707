/**
 * What every orders API shares, framework-free so the Next.js app can import it too: the data,
 * the two requirements, and the issuers they all trust.
 */

/** `GET /orders` needs it; the demo key has it. */
export const READ = { permissions: ['orders:read'] }
/** `POST /orders` needs it; the demo key lacks it (403 insufficient_scope). */
export const WRITE = { permissions: ['orders:write'] }

export const ORDERS = [
  { id: 1, item: 'keyboard', quantity: 2 },
  { id: 2, item: 'monitor', quantity: 1 },
]

/** The `aud` of the web app's user tokens (the Next.js app is their issuer, see lib/users.ts). */
export const USER_AUDIENCE = 'urn:keygate-demo:orders'

/**
 * `createAuth` options of every API, as separate services would each have them, trusting two
 * issuers: keygate-server for services and the web app (the Next.js app) for its signed-in users;
 * the token's `iss` selects one, and only these two are ever contacted. The kid-miss cooldown is
 * short (2 s instead of 30 s) so that a forced rotation on the page is picked up within seconds.
 *
 * @param {{ server: string, web: string }} trusted keygate-server's URL and the web app's origin
 */
export function trustOptions({ server, web }) {
  return {
    issuers: [
      { issuer: server, audience: server, jwksUri: `${server}/.well-known/jwks.json` },
      { issuer: web, audience: USER_AUDIENCE, jwksUri: `${web}/.well-known/jwks.json` },
    ],
    jwks: { cooldown: '2s' },
  }
}
