/** OCI Distribution error codes and the JSON error body they travel in. */
import type { ServerResponse } from 'node:http';

export const ErrorCode = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNSUPPORTED: 405,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  DENIED: 403,
  TOO_MANY_REQUESTS: 429,
  UNKNOWN: 500,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

export class RegistryError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly detail?: unknown,
    readonly extra: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, err: RegistryError, head = false): void {
  const body = JSON.stringify({ errors: [{ code: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) }] });
  res.writeHead(err.extra.status ?? ErrorCode[err.code], { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...err.extra.headers });
  res.end(head ? undefined : body);
}
