import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', middleware: 'src/middleware-entry.ts' },
  format: ['esm'],
  dts: true,
  splitting: true,
  treeshake: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // next/* must stay the application's own copy: Next.js keeps request state in module scope.
  external: [/^@keygate\/core/, /^next(\/|$)/],
})
