import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    errors: 'src/errors.ts',
    'http/index': 'src/http/index.ts',
    'jwks/index': 'src/jwks/index.ts',
    'verify/index': 'src/verify/index.ts',
    'authorize/index': 'src/authorize/index.ts',
    'issue/index': 'src/issue/index.ts',
    'session/index': 'src/session/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  dts: true,
  splitting: true,
  treeshake: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['jose'],
})
