import { ClaimInvalidError, ConfigurationError, ProviderUnavailableError } from '../errors.js'
import type { JWTClaims } from '../types.js'
import { claim, claimPath, combineProviders, resourceRoles, scopeClaim } from './claim-providers.js'
import { toStringList } from './claim-values.js'
import type { Provider, ProvidersOptions } from './types.js'

function list(value: string | readonly string[] | undefined, option: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  const values = typeof value === 'string' ? [value] : [...value]
  if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new ConfigurationError(`${option} must be a non-empty string or list of strings`)
  }
  return values
}

function requireString(claims: JWTClaims, name: string): string {
  const value = claims[name]
  if (typeof value !== 'string' || value === '')
    throw new ClaimInvalidError(`The ${name} claim is missing`, name)
  return value
}

/** Options of {@link presets.entra}. */
export interface EntraPresetOptions {
  /** Accepted tenant ID(s) (`tid`); any tenant whose issuer is configured when absent. */
  tenantId?: string | readonly string[]
}

// Entra's issuers embed the tenant: https://login.microsoftonline.com/<tid>/v2.0 and
// https://sts.windows.net/<tid>/ (v1). The tenant in `iss` must be the token's `tid`.
const ENTRA_ISSUER = /^https:\/\/(?:login\.microsoftonline\.com|sts\.windows\.net)\/([^/]+)\//

// When a user is in too many groups, Entra leaves `groups` out and points to Graph instead
// ("groups overage"): an empty list there would silently deny, so it fails visibly.
const entraGroups: Provider = function entraGroups({ claims }) {
  const names = claims._claim_names
  const overage =
    claims.groups === undefined &&
    (claims.hasgroups === true ||
      (typeof names === 'object' && names !== null && Object.hasOwn(names, 'groups')))
  if (overage) {
    throw new ProviderUnavailableError(
      'Entra ID left out the groups claim (groups overage); configure a groups provider that asks Microsoft Graph',
      60,
    )
  }
  return toStringList(claims.groups)
}

/**
 * Microsoft Entra ID (v1 and v2 access tokens): app `roles`, `groups` (object IDs), delegated
 * scopes in `scp` (a space-delimited string), and a `tid` check: `tid` must be present, match
 * the tenant named in `iss`, and be one of `tenantId` when given.
 *
 * @example
 * createAuth({ issuers: [{ issuer: entraIssuer(tid), audience: clientId, providers: presets.entra({ tenantId: tid }) }] })
 * @see https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
function entra(options: EntraPresetOptions = {}): ProvidersOptions {
  const tenants = list(options.tenantId, 'presets.entra tenantId')
  return {
    scopes: scopeClaim(),
    roles: claim('roles'),
    groups: entraGroups,
    validate(claims) {
      const tid = requireString(claims, 'tid')
      const inIssuer = typeof claims.iss === 'string' ? ENTRA_ISSUER.exec(claims.iss)?.[1] : undefined
      if (inIssuer !== undefined && inIssuer !== tid) {
        throw new ClaimInvalidError('The tid claim does not match the issuer', 'tid')
      }
      if (tenants !== undefined && !tenants.includes(tid)) {
        throw new ClaimInvalidError('The token is from a tenant that is not accepted', 'tid')
      }
    },
  }
}

/** Options of {@link presets.keycloak}. */
export interface KeycloakPresetOptions {
  /** Client whose roles (`resource_access.<clientId>.roles`) join the realm roles. */
  clientId?: string
  /** Accepted authorized parties (`azp`, the client the token was issued to), when restricted. */
  authorizedParty?: string | readonly string[]
}

/**
 * Keycloak: roles are the realm roles (`realm_access.roles`) plus the client roles of
 * `clientId` (`resource_access.<clientId>.roles`); `groups` when the group mapper is on;
 * `scope`; the `typ` claim, when present, must be `Bearer` (ID, logout and refresh tokens are
 * refused); and, when `authorizedParty` is given, `azp` must be one of them.
 *
 * @example providers: presets.keycloak({ clientId: 'orders-api', authorizedParty: 'orders-web' })
 * @see https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_role_mappings
 */
function keycloak(options: KeycloakPresetOptions = {}): ProvidersOptions {
  const parties = list(options.authorizedParty, 'presets.keycloak authorizedParty')
  const realmRoles = claimPath('realm_access.roles')
  const preset: ProvidersOptions = {
    scopes: scopeClaim(),
    roles:
      options.clientId === undefined
        ? realmRoles
        : combineProviders(realmRoles, resourceRoles(options.clientId)),
    groups: claim('groups'),
  }
  preset.validate = (claims) => {
    // Keycloak marks the token kind in a `typ` claim: `Bearer` for access tokens, `ID` for ID
    // tokens, `Logout`, `Refresh`… all signed by the same realm keys. Only access tokens are
    // for APIs; lightweight access tokens may leave the claim out.
    if (claims.typ !== undefined && claims.typ !== 'Bearer') {
      throw new ClaimInvalidError('The token is not a Keycloak access token', 'typ')
    }
    if (parties !== undefined && !parties.includes(requireString(claims, 'azp'))) {
      throw new ClaimInvalidError('The token was issued to a client that is not accepted', 'azp')
    }
  }
  return preset
}

/** Options of {@link presets.auth0}. */
export interface Auth0PresetOptions {
  /** Namespaced custom claim an Action adds roles to, e.g. `'https://example.com/roles'`. */
  rolesClaim?: string
}

/**
 * Auth0: `permissions` (RBAC with "Add Permissions in the Access Token"), `scope`, and roles
 * from a namespaced custom claim when `rolesClaim` is given.
 *
 * @example providers: presets.auth0({ rolesClaim: 'https://example.com/roles' })
 * @see https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis
 */
function auth0(options: Auth0PresetOptions = {}): ProvidersOptions {
  const preset: ProvidersOptions = { scopes: scopeClaim(), permissions: claim('permissions') }
  if (options.rolesClaim !== undefined) preset.roles = claim(options.rolesClaim)
  return preset
}

/** Options of {@link presets.cognito}. */
export interface CognitoPresetOptions {
  /** Which tokens are accepted (`token_use`). Default `'access'`: ID tokens are not for APIs. */
  tokenUse?: 'access' | 'id' | 'any'
  /** Accepted app client ID(s): `client_id` of access tokens, `aud` of ID tokens. */
  clientId?: string | readonly string[]
}

/**
 * Amazon Cognito user pools: groups from `cognito:groups`, `scope`; `token_use` must be the
 * accepted kind, and the app client is checked in `client_id` for access tokens (which carry
 * no `aud`) and in `aud` for ID tokens. `audienceClaim: 'client_id'` tells the verifier where
 * an access token's audience is.
 *
 * @example providers: presets.cognito({ clientId: '1example23456789' })
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 */
function cognito(options: CognitoPresetOptions = {}): ProvidersOptions {
  const tokenUse = options.tokenUse ?? 'access'
  if (!['access', 'id', 'any'].includes(tokenUse)) {
    throw new ConfigurationError("presets.cognito tokenUse must be 'access', 'id' or 'any'")
  }
  const clients = list(options.clientId, 'presets.cognito clientId')
  return {
    scopes: scopeClaim(),
    groups: claim('cognito:groups'),
    audienceClaim: 'client_id',
    validate(claims) {
      const use = requireString(claims, 'token_use')
      if ((use !== 'access' && use !== 'id') || (tokenUse !== 'any' && use !== tokenUse)) {
        throw new ClaimInvalidError('The token_use claim is not accepted', 'token_use')
      }
      if (clients === undefined) return
      const client = use === 'access' ? claims.client_id : claims.aud
      const named = typeof client === 'string' ? [client] : toStringList(client)
      if (!named.some((c) => clients.includes(c))) {
        throw new ClaimInvalidError(
          'The token was issued to an app client that is not accepted',
          use === 'access' ? 'client_id' : 'aud',
        )
      }
    },
  }
}

/** Options of {@link presets.okta}. */
export interface OktaPresetOptions {
  /** Accepted client ID(s) in `cid`, when restricted. */
  clientId?: string | readonly string[]
}

/**
 * Okta (custom authorization servers): scopes from `scp` (an array), `groups` when a groups
 * claim is configured, and `cid` checked when `clientId` is given.
 *
 * @example providers: presets.okta({ clientId: '0oa1example' })
 * @see https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/#access-token-payload
 */
function okta(options: OktaPresetOptions = {}): ProvidersOptions {
  const clients = list(options.clientId, 'presets.okta clientId')
  const preset: ProvidersOptions = { scopes: scopeClaim(), groups: claim('groups') }
  if (clients !== undefined) {
    preset.validate = (claims) => {
      if (!clients.includes(requireString(claims, 'cid'))) {
        throw new ClaimInvalidError('The token was issued to a client that is not accepted', 'cid')
      }
    }
  }
  return preset
}

/**
 * Providers and claim checks per issuer kind, for an entry of the issuer registry (or the
 * top-level default). Spread one to override a field: `{ ...presets.okta(), roles: 'roles' }`.
 *
 * @example createAuth({ issuer, audience, providers: presets.auth0() })
 */
export const presets = Object.freeze({ entra, keycloak, auth0, cognito, okta })

/**
 * The issuer URL of a Microsoft Entra ID tenant: v2 `https://login.microsoftonline.com/<tid>/v2.0`
 * or v1 `https://sts.windows.net/<tid>/` (which token version a resource gets depends on its
 * app manifest's `accessTokenAcceptedVersion`).
 *
 * @example entraIssuer('72f988bf-86f1-41af-91ab-2d7cd011db47') // 'https://login.microsoftonline.com/72f988bf-…/v2.0'
 * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer
 */
export function entraIssuer(tenantId: string, version: 'v1' | 'v2' = 'v2'): string {
  if (typeof tenantId !== 'string' || !/^[A-Za-z0-9.-]+$/.test(tenantId)) {
    throw new ConfigurationError('entraIssuer(tenantId) needs a tenant ID')
  }
  if (version === 'v1') return `https://sts.windows.net/${tenantId}/`
  if (version === 'v2') return `https://login.microsoftonline.com/${tenantId}/v2.0`
  throw new ConfigurationError("entraIssuer version must be 'v1' or 'v2'")
}
