/** A Kubernetes `Status` body, as returned with every API error. */
export interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** Any error answered by the API server (or the transport in front of it). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: StatusBody;
  /** Seconds the server asked us to wait (Retry-After header or details.retryAfterSeconds). */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: number, status: StatusBody, retryAfterSeconds?: number) {
    super(status.message || `API error ${code}${status.reason ? ` (${status.reason})` : ''}`);
    this.name = new.target.name;
    this.code = code;
    this.reason = status.reason ?? '';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}
export class AlreadyExistsError extends ApiError {}
export class InvalidError extends ApiError {
  /** The per-field causes, e.g. `{ field: 'spec.replicas', message: '...' }`. */
  get causes(): { reason?: string; message?: string; field?: string }[] {
    return this.status.details?.causes ?? [];
  }
}
export class BadRequestError extends ApiError {}
export class UnauthorizedError extends ApiError {}
export class ForbiddenError extends ApiError {}
/** 410: the requested resourceVersion is too old (watch or list must start over). */
export class GoneError extends ApiError {}
export class TooManyRequestsError extends ApiError {}
/** Server-side (504 / reason Timeout) or client-side timeouts. */
export class TimeoutError extends ApiError {}
export class UnsupportedMediaTypeError extends ApiError {}
export class MethodNotAllowedError extends ApiError {}
export class ServerError extends ApiError {}

/**
 * Maps an HTTP status code and its (possibly absent or non-JSON) body to a typed error.
 * The reason in the body wins over the code, as in apimachinery's errors.ReasonForError.
 */
export function errorFromResponse(
  code: number,
  bodyText: string,
  headers: Record<string, string> = {},
): ApiError {
  let status: StatusBody = {};
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (parsed && typeof parsed === 'object') status = parsed;
  } catch {
    status = { message: bodyText.trim().slice(0, 500) || undefined };
  }
  return errorFromStatus({ ...status, code: status.code || code }, headers);
}

export function errorFromStatus(
  status: StatusBody,
  headers: Record<string, string> = {},
): ApiError {
  const code = status.code ?? 500;
  const header = headers['retry-after'] ?? headers['Retry-After'];
  const fromHeader =
    header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  const retryAfter = fromHeader ?? status.details?.retryAfterSeconds;
  const ctor = errorClassFor(code, status.reason);
  return new ctor(code, status, retryAfter);
}

function errorClassFor(code: number, reason: string | undefined): typeof ApiError {
  switch (reason) {
    case 'NotFound':
      return NotFoundError;
    case 'AlreadyExists':
      return AlreadyExistsError;
    case 'Conflict':
      return ConflictError;
    case 'Invalid':
      return InvalidError;
    case 'Forbidden':
      return ForbiddenError;
    case 'Unauthorized':
      return UnauthorizedError;
    case 'Gone':
    case 'Expired':
      return GoneError;
    case 'TooManyRequests':
      return TooManyRequestsError;
    case 'Timeout':
    case 'ServerTimeout':
      return TimeoutError;
    case 'UnsupportedMediaType':
      return UnsupportedMediaTypeError;
    case 'MethodNotAllowed':
      return MethodNotAllowedError;
    case 'BadRequest':
      return BadRequestError;
  }
  switch (code) {
    case 400:
      return BadRequestError;
    case 401:
      return UnauthorizedError;
    case 403:
      return ForbiddenError;
    case 404:
      return NotFoundError;
    case 405:
      return MethodNotAllowedError;
    case 409:
      return ConflictError;
    case 410:
      return GoneError;
    case 415:
      return UnsupportedMediaTypeError;
    case 422:
      return InvalidError;
    case 429:
      return TooManyRequestsError;
    case 408:
    case 504:
      return TimeoutError;
  }
  return code >= 500 ? ServerError : ApiError;
}

export const isNotFound = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
export const isConflict = (e: unknown): e is ConflictError => e instanceof ConflictError;
export const isAlreadyExists = (e: unknown): e is AlreadyExistsError =>
  e instanceof AlreadyExistsError;
export const isGone = (e: unknown): e is GoneError => e instanceof GoneError;
export const isForbidden = (e: unknown): e is ForbiddenError => e instanceof ForbiddenError;
export const isInvalid = (e: unknown): e is InvalidError => e instanceof InvalidError;

/** Transient failures worth retrying: 429, 5xx, timeouts and transport errors (no ApiError). */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TooManyRequestsError || e instanceof TimeoutError || e instanceof ServerError)
    return true;
  if (e instanceof ApiError) return false;
  return e instanceof Error && e.name !== 'AbortError';
}

/**
 * The delay before retry number `attempt` (0-based): the server's Retry-After when given, else
 * exponential backoff with full jitter, capped.
 */
export function retryDelayMs(
  attempt: number,
  error: unknown,
  baseMs = 200,
  maxMs = 10_000,
  random: () => number = Math.random,
): number {
  if (error instanceof ApiError && error.retryAfterSeconds !== undefined)
    return Math.min(error.retryAfterSeconds * 1000, maxMs * 3);
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}
