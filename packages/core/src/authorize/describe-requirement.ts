import { predicateName } from './authorize.js'
import { normalizeRequirement } from './requirement.js'
import type { MatchDescription, Requirement, RequirementDescription } from './types.js'

function summarize(field: string, { allOf, anyOf }: MatchDescription): string {
  const parts: string[] = []
  if (allOf.length > 0) parts.push(allOf.join(' and '))
  if (anyOf.length > 0) parts.push(anyOf.length === 1 ? anyOf[0]! : `any of ${anyOf.join(', ')}`)
  return `${field}: ${parts.join(' and ')}`
}

/**
 * Describes a requirement as JSON-safe data plus a one-line summary, so adapters can render
 * it in docs (OpenAPI `security` notes) and error bodies without knowing its shape.
 *
 * @example
 * describeRequirement({ scopes: ['orders:read'], roles: { anyOf: ['admin', 'editor'] } }).summary
 * // 'scopes: orders:read; roles: any of admin, editor'
 */
export function describeRequirement(requirement: Requirement): RequirementDescription {
  const { matches, predicates, adminPermission } = normalizeRequirement(requirement)
  const description: { -readonly [K in keyof RequirementDescription]: RequirementDescription[K] } = {
    summary: '',
  }
  const parts: string[] = []
  for (const { field, allOf, anyOf } of matches) {
    if (allOf.length === 0 && anyOf.length === 0) continue
    description[field] = { allOf, anyOf }
    parts.push(summarize(field, { allOf, anyOf }))
  }
  if (predicates.length > 0) {
    description.predicates = predicates.map(predicateName)
    parts.push(...description.predicates.map((name) => `predicate ${name}`))
  }
  if (adminPermission !== undefined) description.adminPermission = adminPermission
  const summary = parts.length === 0 ? 'authenticated' : parts.join('; ')
  description.summary =
    adminPermission === undefined ? summary : `${summary}; or permission ${adminPermission}`
  return description
}
