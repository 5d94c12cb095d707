/**
 * Public and optional route matching for the middleware: plain strings with simple wildcards,
 * RegExps, or predicates, compiled once at construction.
 * Builds on no core function: route matching is Next.js routing, not authentication.
 */
import { ConfigurationError } from '@keygate/core/errors'

/**
 * A route pattern matched against `request.nextUrl.pathname`:
 * - a string is an exact path, where `*` matches within one segment and `**` matches anything,
 *   including `/` (`'/public/**'`, `'/users/*'`);
 * - a RegExp is tested as is (its `g`/`y` flags are dropped so it keeps no state between requests);
 * - a function decides for itself.
 */
export type RouteMatcher = string | RegExp | ((pathname: string) => boolean)

/** A compiled list of matchers: `true` when any of them matches the pathname. */
export type CompiledMatcher = (pathname: string) => boolean

/**
 * Compiles route matchers once, so no pattern is parsed per request.
 *
 * @example
 * const isPublic = compileRoutes(['/', '/health', '/docs/**', /^\/public\//])
 * isPublic('/docs/a/b') // true
 */
export function compileRoutes(matchers: readonly RouteMatcher[] = []): CompiledMatcher {
  const tests = matchers.map(compileOne)
  if (tests.length === 0) return () => false
  return (pathname) => tests.some((test) => test(pathname))
}

function compileOne(matcher: RouteMatcher): CompiledMatcher {
  if (typeof matcher === 'function') return matcher
  if (matcher instanceof RegExp) {
    // A global or sticky RegExp remembers lastIndex: the same path would match every other time.
    const re = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''))
    return (pathname) => re.test(pathname)
  }
  if (typeof matcher !== 'string' || !matcher.startsWith('/')) {
    throw new ConfigurationError('A route pattern must be a RegExp, a function or a string starting with "/"')
  }
  if (!matcher.includes('*')) return (pathname) => pathname === matcher
  const re = new RegExp(
    `^${matcher
      .split(/(\*\*|\*)/)
      .map(toSource)
      .join('')}$`,
  )
  return (pathname) => re.test(pathname)
}

function toSource(part: string): string {
  if (part === '**') return '.*'
  if (part === '*') return '[^/]*'
  return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}
