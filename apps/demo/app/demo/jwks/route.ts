// The kids keygate-server publishes, to show a rotation.
import { demoContext } from '@/lib/context'
import { demoRoute } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const GET = demoRoute(async () => {
  const response = await fetch(`${demoContext().issuer}/.well-known/jwks.json`, { cache: 'no-store' })
  const jwks = (await response.json()) as { keys: { kid?: string }[] }
  return { kids: jwks.keys.map((key) => key.kid) }
})
