import { demoContext } from '@/lib/context'
import { demoRoute } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const GET = demoRoute(async () => {
  const { issuer, apis, demoKey } = demoContext()
  return { issuer, apis, key: demoKey.key, keyId: demoKey.id, permissions: demoKey.permissions }
})
