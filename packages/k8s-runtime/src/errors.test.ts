import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  ServerError,
  TimeoutError,
  TooManyRequestsError,
  errorFromResponse,
  isRetryable,
  retryDelayMs,
} from './errors.ts';

const status = (code: number, reason: string, extra: object = {}) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message: `m ${reason}`,
    ...extra,
  });

describe('errorFromResponse', () => {
  it('maps Status reasons to typed errors', () => {
    expect(errorFromResponse(404, status(404, 'NotFound'))).toBeInstanceOf(NotFoundError);
    expect(errorFromResponse(409, status(409, 'Conflict'))).toBeInstanceOf(ConflictError);
    expect(errorFromResponse(409, status(409, 'AlreadyExists'))).toBeInstanceOf(AlreadyExistsError);
    expect(errorFromResponse(403, status(403, 'Forbidden'))).toBeInstanceOf(ForbiddenError);
    expect(errorFromResponse(410, status(410, 'Expired'))).toBeInstanceOf(GoneError);
    expect(errorFromResponse(504, status(504, 'Timeout'))).toBeInstanceOf(TimeoutError);
    expect(errorFromResponse(500, status(500, 'InternalError'))).toBeInstanceOf(ServerError);
    const e = errorFromResponse(404, status(404, 'NotFound'));
    expect(e.message).toBe('m NotFound');
    expect(e.code).toBe(404);
  });
  it('keeps Invalid causes', () => {
    const e = errorFromResponse(
      422,
      status(422, 'Invalid', {
        details: { causes: [{ field: 'spec.x', message: 'bad', reason: 'FieldValueInvalid' }] },
      }),
    );
    expect(e).toBeInstanceOf(InvalidError);
    expect((e as InvalidError).causes).toEqual([
      { field: 'spec.x', message: 'bad', reason: 'FieldValueInvalid' },
    ]);
  });
  it('falls back to the HTTP code for non-Status bodies', () => {
    const e = errorFromResponse(429, 'slow down', { 'retry-after': '3' });
    expect(e).toBeInstanceOf(TooManyRequestsError);
    expect(e.retryAfterSeconds).toBe(3);
    expect(e.message).toBe('slow down');
    expect(errorFromResponse(503, '')).toBeInstanceOf(ServerError);
    expect(errorFromResponse(404, '<html>')).toBeInstanceOf(NotFoundError);
  });
});

describe('retries', () => {
  it('retries 429, 5xx, timeouts and transport errors only', () => {
    expect(isRetryable(errorFromResponse(429, ''))).toBe(true);
    expect(isRetryable(errorFromResponse(500, ''))).toBe(true);
    expect(isRetryable(errorFromResponse(504, ''))).toBe(true);
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable(errorFromResponse(409, status(409, 'Conflict')))).toBe(false);
    expect(isRetryable(errorFromResponse(404, ''))).toBe(false);
  });
  it('honours Retry-After and otherwise backs off exponentially with a cap', () => {
    expect(retryDelayMs(0, errorFromResponse(429, '', { 'retry-after': '2' }))).toBe(2000);
    const half = () => 0.5;
    expect(retryDelayMs(0, new Error('x'), 100, 1000, half)).toBe(75);
    expect(retryDelayMs(3, new Error('x'), 100, 1000, half)).toBe(600);
    expect(retryDelayMs(10, new Error('x'), 100, 1000, half)).toBe(750);
  });
});
