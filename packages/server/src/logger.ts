/**
 * Fastify's logger (pino, one JSON object per line) set up so that no credential can reach
 * the log: requests are logged as method, path and peer only — never headers, query strings or
 * bodies — and the usual credential-bearing places are redacted should anything log them.
 */
import type { FastifyServerOptions } from 'fastify'
import type { LogLevel } from './config.js'

// Where a credential could sit in a logged request or response object.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.body',
  'req.query',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'body',
]

/** Where log lines go instead of stdout: anything with `write(line)`. */
export interface LogStream {
  write(line: string): void
}

interface LoggedRequest {
  method: string
  url: string
  ip?: string
  id?: string
}

/**
 * The `logger` option for Fastify: JSON at `level`, requests without query strings (a token
 * may travel in one, RFC 6750 §2.3), credentials redacted.
 */
export function loggerOptions(level: LogLevel, stream?: LogStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: LoggedRequest) {
        const query = request.url.indexOf('?')
        return {
          method: request.method,
          path: query < 0 ? request.url : request.url.slice(0, query),
          remoteAddress: request.ip,
        }
      },
    },
  }
}
