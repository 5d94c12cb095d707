import { defineConfig } from 'vitest/config'

// One vitest run for the whole monorepo: every package's tests live next to their code.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'tests/*/test/**/*.test.ts',
    ],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      // Vitest runs tsc on this project; there is no root tsconfig.json for it to find.
      tsconfig: './tsconfig.typecheck.json',
    },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
