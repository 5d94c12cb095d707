import { ConfigurationError } from '../errors.js'
import type { Match, MatchDescription, Predicate, PrincipalField, Requirement } from './types.js'

/** A requirement checked and put in the form `authorize` evaluates. */
export interface NormalizedRequirement {
  readonly matches: readonly (MatchDescription & { readonly field: PrincipalField })[]
  readonly predicates: readonly Predicate[]
  readonly adminPermission: string | undefined
}

export const REQUIREMENT_FIELDS: readonly PrincipalField[] = ['scopes', 'permissions', 'groups', 'roles']
const KNOWN_KEYS = new Set<string>([...REQUIREMENT_FIELDS, 'predicates', 'adminPermission'])
const MATCH_KEYS = new Set(['allOf', 'anyOf'])

// Requirements made by defineRequirement are frozen, so their checked form can be reused.
const normalizedOf = new WeakMap<object, NormalizedRequirement>()

function values(value: unknown, where: string): readonly string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new ConfigurationError(`${where} must be a list of non-empty strings`)
  }
  return Object.freeze([...new Set(value as string[])])
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function normalizeMatch(match: unknown, field: PrincipalField): MatchDescription {
  if (Array.isArray(match)) return { allOf: values(match, `requirement.${field}`), anyOf: [] }
  if (!isPlainObject(match)) {
    throw new ConfigurationError(`requirement.${field} must be a list or { allOf, anyOf }`)
  }
  for (const key of Object.keys(match)) {
    if (!MATCH_KEYS.has(key)) throw new ConfigurationError(`Unknown key '${key}' in requirement.${field}`)
  }
  const allOf = match.allOf === undefined ? [] : values(match.allOf, `requirement.${field}.allOf`)
  const anyOf = match.anyOf === undefined ? [] : values(match.anyOf, `requirement.${field}.anyOf`)
  // An empty any-of can never hold: it would deny everyone, which is a mistake, not a policy.
  if (match.anyOf !== undefined && anyOf.length === 0) {
    throw new ConfigurationError(`requirement.${field}.anyOf must not be empty`)
  }
  return { allOf, anyOf }
}

/** Checks a requirement's shape and returns the form `authorize` evaluates; throws `ConfigurationError`. */
export function normalizeRequirement(spec: Requirement): NormalizedRequirement {
  const known = normalizedOf.get(spec)
  if (known !== undefined) return known
  if (!isPlainObject(spec)) throw new ConfigurationError('A requirement must be a plain object')
  for (const key of Object.keys(spec)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigurationError(`Unknown requirement key '${key}'`)
  }
  const matches = REQUIREMENT_FIELDS.flatMap((field) => {
    const match: unknown = spec[field]
    return match === undefined ? [] : [{ field, ...normalizeMatch(match, field) }]
  })
  const predicates: unknown = spec.predicates ?? []
  if (!Array.isArray(predicates) || predicates.some((p) => typeof p !== 'function')) {
    throw new ConfigurationError('requirement.predicates must be a list of functions')
  }
  const { adminPermission } = spec
  if (adminPermission !== undefined && (typeof adminPermission !== 'string' || adminPermission === '')) {
    throw new ConfigurationError('requirement.adminPermission must be a non-empty string')
  }
  return { matches, predicates: predicates as Predicate[], adminPermission }
}

function freezeMatch(match: Match): Match {
  if (Array.isArray(match)) return Object.freeze([...match])
  const { allOf, anyOf } = match as { allOf?: readonly string[]; anyOf?: readonly string[] }
  return Object.freeze({
    ...(allOf === undefined ? {} : { allOf: Object.freeze([...allOf]) }),
    ...(anyOf === undefined ? {} : { anyOf: Object.freeze([...anyOf]) }),
  })
}

/**
 * Declares what a route needs, validated once here (a typo is a `ConfigurationError` at start-up,
 * not a 403 per request) and frozen, so it can be shared and rendered as data. `authorize` also
 * accepts plain objects, checking them on each call.
 *
 * @example
 * const canEditOrders = defineRequirement({ scopes: ['orders:write'], roles: { anyOf: ['admin', 'editor'] } })
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function defineRequirement(spec: Requirement): Readonly<Requirement> {
  const normalized = normalizeRequirement(spec)
  const frozen: Requirement = {}
  for (const field of REQUIREMENT_FIELDS) {
    const match = spec[field]
    if (match !== undefined) frozen[field] = freezeMatch(match)
  }
  if (spec.predicates !== undefined) frozen.predicates = Object.freeze([...spec.predicates])
  if (spec.adminPermission !== undefined) frozen.adminPermission = spec.adminPermission
  Object.freeze(frozen)
  normalizedOf.set(frozen, normalized)
  return frozen
}

/** Short alias of {@link defineRequirement}. */
export const requirement: (spec: Requirement) => Readonly<Requirement> = defineRequirement
