import { fileURLToPath } from 'node:url'

// The monorepo root: @keygate/* are workspace links to ../../packages, outside this folder.
const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * What the page may load: this origin only (no external assets, no inline script or style), and
 * nothing may frame it.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
  // The page is plain HTML and DOM script (public/): Next.js serves it without sending React to
  // the browser; everything dynamic is a route handler (app/).
  async rewrites() {
    return [{ source: '/', destination: '/index.html' }]
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'content-security-policy', value: CONTENT_SECURITY_POLICY },
          { key: 'x-content-type-options', value: 'nosniff' },
          { key: 'referrer-policy', value: 'no-referrer' },
        ],
      },
    ]
  },
}
