import { StatusError, type StatusReason } from '../core/errors.ts';

/**
 * An error the API server passes on untyped: ErrorToAPIStatus turns it into a 500 with an empty
 * (Unknown) reason and the error's text, which kubectl prints as "Error from server: <text>".
 */
export function untypedServerError(message: string): StatusError {
  return new StatusError(500, '' as unknown as StatusReason, message);
}
