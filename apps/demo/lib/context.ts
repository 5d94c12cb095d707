// What src/start.mjs hands this Next.js app. The app runs in the launcher's process (Next.js's
// programmatic server, see src/next.mjs), so the run's context travels on globalThis, set before
// Next.js loads any route: the admin token and the activity log never leave the process, and every
// route bundle (each has its own module instances) reads the same object.

/** One line of the activity log: a @keygate/client event or one of its calls. */
export interface ActivityEntry {
  at: string
  source: 'client' | 'call'
  event?: string
  code?: string
  api?: string
  status?: number
  error?: string
}

export interface DemoContext {
  /** keygate-server's URL: the issuer of service tokens. */
  issuer: string
  /** This app's origin: the page, the fourth orders API, and the issuer of user tokens. */
  web: string
  /** `Authorization` header for keygate-server's admin routes; never sent to the browser. */
  adminAuthorization: string
  /** The demo API key made at start (shown on the page: it is the demo's to try). */
  demoKey: { id: string; key: string; permissions: readonly string[] }
  /** Each orders API by name → its orders URL. */
  apis: Readonly<Record<string, string>>
  /** The client loop's recent activity, oldest first. */
  activity(): readonly ActivityEntry[]
  /** Secret of @keygate/next's signed principal header (proxy.ts → route handlers), per run. */
  internalSecret: string
}

const shared = globalThis as { keygateDemo?: DemoContext }

/** The run's context, or undefined while `next build` imports the modules. */
export function findContext(): DemoContext | undefined {
  return shared.keygateDemo
}

/** The run's context; throws when the app was not started by src/start.mjs. */
export function demoContext(): DemoContext {
  const context = shared.keygateDemo
  if (!context)
    throw new Error('The demo app runs under src/start.mjs (pnpm demo), which gives it its context')
  return context
}
