export { authorize } from './authorize.js'
export {
  type CachedProvider,
  cachedProvider,
} from './cached-provider.js'
export {
  type ClaimProviderOptions,
  claim,
  claimPath,
  combineProviders,
  resourceRoles,
  scopeClaim,
} from './claim-providers.js'
export {
  type ClaimsGuard,
  type ClaimsSchema,
  type InferClaims,
  type StandardSchemaV1,
  validateClaims,
} from './claims-schema.js'
export { describeRequirement } from './describe-requirement.js'
export {
  type Auth0PresetOptions,
  type CognitoPresetOptions,
  type EntraPresetOptions,
  entraIssuer,
  type KeycloakPresetOptions,
  type OktaPresetOptions,
  presets,
} from './presets.js'
export { createPrincipalBuilder, type PrincipalBuilder, type PrincipalBuilderOptions } from './principal.js'
export { defineRequirement, requirement } from './requirement.js'
export type {
  AsyncProviderOptions,
  AuthorizeResult,
  ClaimsValidator,
  Match,
  MatchDescription,
  Predicate,
  PrincipalField,
  Provider,
  ProviderInput,
  ProviderSpec,
  ProvidersOptions,
  Requirement,
  RequirementDescription,
} from './types.js'
