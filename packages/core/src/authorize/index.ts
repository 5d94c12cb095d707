export type {
  AsyncProviderOptions,
  AuthorizeResult,
  Match,
  Predicate,
  Provider,
  ProviderInput,
  ProvidersOptions,
  Requirement,
} from './types.js'
