// The fixture app with proxy.ts (Next.js 16, Node runtime), built with `next build` and served by `next start`;
// it also enables experimental.authInterrupts.
import { createAdapterKit } from '@keygate/core/testing'
import { describeNextApp } from './helpers/next-suite.js'

describeNextApp('proxy-app', 'nodejs', 'Next.js proxy.ts (Node runtime)', await createAdapterKit(), {
  authInterrupts: true,
})
