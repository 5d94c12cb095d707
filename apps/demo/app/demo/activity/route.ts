import { demoContext } from '@/lib/context'
import { demoRoute } from '@/lib/respond'

export const dynamic = 'force-dynamic'

export const GET = demoRoute(async () => ({ activity: demoContext().activity() }))
