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
export {
  type AdapterKit,
  type AdapterScenario,
  createAdapterKit,
  SCENARIO_REQUIREMENT,
  SCENARIO_ROUTES,
  type ScenarioExpectation,
} from './adapter-scenarios.js'
