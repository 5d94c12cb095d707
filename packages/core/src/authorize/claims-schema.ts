import { ClaimInvalidError, ConfigurationError } from '../errors.js'
import type { JWTClaims } from '../types.js'
import { isPromiseLike } from './provider-call.js'

/** The parts of Standard Schema v1 Keygate uses (Zod, Valibot, ArkType… implement it). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

export declare namespace StandardSchemaV1 {
  /** A validation outcome: a value, or issues. */
  type Result<Output> =
    | { readonly value: Output; readonly issues?: undefined }
    | { readonly issues: readonly Issue[] }
  /** One problem, with the path to the offending member. */
  interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
  }
}

/** A type guard over the verified claims. */
export type ClaimsGuard<C extends JWTClaims> = (claims: JWTClaims) => claims is C

/**
 * How an application declares the shape of its custom claims at run time: a type guard, or any
 * Standard Schema v1 object whose output is the claims type.
 */
export type ClaimsSchema<C extends JWTClaims = JWTClaims> = ClaimsGuard<C> | StandardSchemaV1<unknown, C>

/** The claims type a schema declares. */
export type InferClaims<S> =
  S extends ClaimsGuard<infer C> ? C : S extends StandardSchemaV1<unknown, infer C> ? C : never

function firstKey(issue: StandardSchemaV1.Issue): string {
  const segment = issue.path?.[0]
  const key = typeof segment === 'object' && segment !== null ? segment.key : segment
  return key === undefined ? 'claims' : String(key)
}

/**
 * Checks verified claims against the application's schema and returns them typed. A Standard
 * Schema's output is laid over the claims, so a schema that strips unknown members keeps the
 * registered claims (`iss`, `exp`…). Failure is a 401 `ClaimInvalidError` naming the first
 * offending claim; the schema's messages go to `cause` only, as they may quote claim values.
 *
 * @example
 * const claims = validateClaims(isTenantClaims, verified.claims) // typed as TenantClaims
 * @see https://standardschema.dev
 */
export function validateClaims<C extends JWTClaims>(schema: ClaimsSchema<C>, claims: JWTClaims): C {
  if (typeof schema === 'function') {
    if (schema(claims)) return claims
    throw new ClaimInvalidError('The token claims do not have the expected shape', 'claims')
  }
  const standard = schema?.['~standard']
  if (typeof standard?.validate !== 'function') {
    throw new ConfigurationError('claims must be a type guard or a Standard Schema v1 object')
  }
  const result = standard.validate(claims)
  if (isPromiseLike(result)) {
    result.then(undefined, () => {}) // nobody awaits it: keep its failure from surfacing as unhandled
    throw new ConfigurationError(
      'The claims schema is asynchronous; claims schemas must validate synchronously',
    )
  }
  if (result.issues !== undefined) {
    const claim = result.issues[0] === undefined ? 'claims' : firstKey(result.issues[0])
    throw new ClaimInvalidError(`The ${claim} claim does not have the expected shape`, claim, {
      cause: result.issues,
    })
  }
  const value: unknown = result.value
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError('The claims schema must produce an object')
  }
  return { ...claims, ...value } as C
}
