export {
  type AdapterAuthenticateOptions,
  authenticateOptionsFor,
  authorizeRecorded,
  recordedPrincipal,
} from './adapter.js'
export { type BearerOptions, extractBearerToken } from './bearer.js'
export { bearerChallenge, type ChallengeOptions } from './challenge.js'
export {
  type ErrorBody,
  type HTTPErrorOptions,
  type HTTPErrorResponse,
  httpError,
  toResponse,
} from './http-error.js'
export { fromNodeRequest, type NodeHeaders, type NodeRequestLike, nodeHeaders } from './node-headers.js'
export {
  type IssuerRequestOptions,
  type NodeIncomingRequest,
  type NodeServerResponse,
  sendIssuerResponse,
  toIssuerRequest,
} from './node-request.js'
