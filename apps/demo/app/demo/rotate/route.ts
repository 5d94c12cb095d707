// Forces a signing-key rotation on keygate-server, with the admin token only this process knows.
import { demoContext } from '@/lib/context'
import { demoRoute, relay } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const POST = demoRoute(async () => {
  const { issuer, adminAuthorization } = demoContext()
  return relay(
    await fetch(`${issuer}/admin/signing-keys/rotate`, {
      method: 'POST',
      headers: { authorization: adminAuthorization },
      cache: 'no-store',
    }),
  )
})
