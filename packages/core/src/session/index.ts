export { CrossSiteRequestError } from '../errors.js'
export { createSessions, DEFAULT_CSRF_HEADER, DEFAULT_SESSION_PATH } from './create-sessions.js'
export type {
  SameSite,
  SessionCookieOptions,
  SessionIssuer,
  SessionLoginInput,
  SessionOptions,
  SessionRequest,
  SessionResponse,
  Sessions,
  SessionTokenBody,
} from './types.js'
export { toWebSessionResponse } from './web-response.js'
