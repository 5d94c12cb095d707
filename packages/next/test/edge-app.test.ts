// The fixture app with middleware.ts (edge runtime), built with `next build` and served by `next start`.
import { createAdapterKit } from '@keygate/core/testing'
import { describeNextApp } from './helpers/next-suite.js'

describeNextApp('edge-app', 'edge', 'Next.js middleware.ts (edge runtime)', await createAdapterKit())
