// @keygate/next for the fourth orders API (app/api/orders): the gate in proxy.ts and withAuth in
// the route handler share this one configuration. The same trusted issuers as the Express, Fastify
// and Hono APIs (src/orders.mjs).
import { authorize, createKeygate } from '@keygate/next'
import { READ as READ_REQUIREMENT, trustOptions, WRITE as WRITE_REQUIREMENT } from '../src/orders.mjs'
import { findContext } from './context'

/** `GET /api/orders`: checked once, here, rather than per request. */
export const READ = authorize(READ_REQUIREMENT)
/** `POST /api/orders`: the demo key lacks it (403 insufficient_scope). */
export const WRITE = authorize(WRITE_REQUIREMENT)

// `next build` imports this module without a context: no issuers then, and createAuth (which would
// refuse that) only runs on the first request, by when src/start.mjs has set the context.
const context = findContext()

export const keygate = createKeygate({
  authOptions: context ? trustOptions({ server: context.issuer, web: context.web }) : { issuers: [] },
  signingSecret: context?.internalSecret,
  // The gate already refuses a token without the method's permission; the route handler checks it
  // again (CVE-2025-29927: the gate must not be the only check).
  requirement: (request) => (request.method === 'POST' ? WRITE : READ),
})
