export { OpenAccessClient, type OpenAccessClientOptions, type RequestOptions, type ClientState, type SessionState } from './openaccess-client';
export { OpenAccessError, OA_CODES, classifyHttpError, classifyNetworkError, parseErrorBody, type OpenAccessErrorDetails } from './errors';
export { Semaphore, RateLimiter, forEachBounded } from './limiter';
