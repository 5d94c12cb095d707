export {
  type AdapterKit,
  type AdapterScenario,
  createAdapterKit,
  SCENARIO_REQUIREMENT,
  SCENARIO_ROUTES,
  type ScenarioExpectation,
} from './adapter-scenarios.js'
export { type IssuerStoreContractCase, issuerStoreContract } from './issuer-store-contract.js'
export { type KeyStoreContractCase, keyStoreContract } from './key-store-contract.js'
export { type RawResponse, sendRawRequest } from './raw-request.js'
export {
  createSessionKit,
  SESSION_APP_ROUTES,
  SESSION_ORIGIN,
  type SessionKit,
  type SessionScenario,
  type SessionSend,
} from './session-scenarios.js'
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
