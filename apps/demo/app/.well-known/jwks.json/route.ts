// The users' issuer's JWKS: the orders APIs verify user tokens with it.
import { users } from '@/lib/users'

export const dynamic = 'force-dynamic'

export function GET(request: Request): Promise<Response> {
  return users().issuer.handle(request)
}
