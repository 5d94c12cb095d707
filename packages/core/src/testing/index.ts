export {
  createTestIssuer,
  type SignOptions,
  type TestAlgorithm,
  type TestIssuer,
  type TestIssuerCounters,
  type TestIssuerMode,
  type TestIssuerOptions,
  type TestKey,
} from './test-issuer.js'
