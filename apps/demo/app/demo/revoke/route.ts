// Revokes the demo API key on keygate-server, with the admin token only this process knows.
import { demoContext } from '@/lib/context'
import { demoRoute, relay } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const POST = demoRoute(async () => {
  const { issuer, adminAuthorization, demoKey } = demoContext()
  return relay(
    await fetch(`${issuer}/admin/api-keys/${encodeURIComponent(demoKey.id)}`, {
      method: 'DELETE',
      headers: { authorization: adminAuthorization },
      cache: 'no-store',
    }),
  )
})
