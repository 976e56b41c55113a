/**
 * inputErrorOf: the 4xx a database error stands for when the request's input
 * caused it (a value Postgres cannot store, a missing or duplicate row),
 * or undefined when it is the server's fault; unavailableErrorOf: a database
 * away or saturated. Errors come from Prisma or, for the statements a store
 * sends itself, from node-postgres; both are matched by name and code so
 * that api/ imports neither (store/ owns them). The message never carries
 * the driver's text, which quotes the query.
 */

export interface InputError {
  status: number;
  message: string;
}

/** Prisma codes that mean "this input does not fit" (https://www.prisma.io/docs/orm/reference/error-reference). */
const BAD_VALUE = new Set(['P2000', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2033']);

interface PrismaLike {
  name?: string;
  code?: string;
  meta?: { driverAdapterError?: { cause?: { originalCode?: string; code?: string; originalMessage?: string } } };
}

/** PgLike: node-postgres's error from the server (SQLSTATE in `code`, a `severity`), or a socket error. */
interface PgLike {
  code?: string;
  severity?: string;
  message?: string;
}

/** sqlState: the SQLSTATE of an error node-postgres got from the server, else ''. */
function sqlState(err: PgLike): string {
  return typeof err.severity === 'string' && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : '';
}

/** Socket errors and node-postgres's own messages for a connection that went away. */
const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const LOST_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout)/;

export function inputErrorOf(err: unknown): InputError | undefined {
  const e = err as PrismaLike | null;
  if (!e || typeof e !== 'object') return undefined;
  const state = sqlState(e as PgLike);
  if (state === '23505') return { status: 409, message: 'already exists' };
  if (state === '23503') return { status: 409, message: 'still in use by another object' };
  if (/^22/.test(state)) return { status: 400, message: 'a value in the request cannot be stored' };
  if (e.name === 'PrismaClientValidationError') return { status: 400, message: 'a value in the request has the wrong type' };
  if (e.name !== 'PrismaClientKnownRequestError') return undefined;
  if (e.code === 'P2002') return { status: 409, message: 'already exists' };
  if (e.code === 'P2025') return { status: 404, message: 'not found' };
  if (e.code === 'P2003' || e.code === 'P2014') return { status: 409, message: 'still in use by another object' };
  if (e.code && BAD_VALUE.has(e.code)) return { status: 400, message: 'a value in the request cannot be stored' };
  const cause = e.meta?.driverAdapterError?.cause;
  const pgCode = cause?.originalCode ?? cause?.code ?? '';
  // SQLSTATE class 22 is "data exception": the value itself (encoding, length, range, syntax).
  if (/^22[0-9A-Z]{3}$/.test(pgCode)) return { status: 400, message: `a value in the request cannot be stored${cause?.originalMessage ? ` (${cause.originalMessage})` : ''}` };
  return undefined;
}

/**
 * Prisma codes that mean the database is unreachable or too busy to take the
 * request now (no pooled connection or transaction in time, server gone):
 * the client may try again, so 503, not 500.
 */
const UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);

export function unavailableErrorOf(err: unknown): string | undefined {
  const e = err as PrismaLike | null;
  if (!e || typeof e !== 'object') return undefined;
  // SQLSTATE class 08: connection exception; 53: insufficient resources (too many connections); 57P0x: shutting down or starting.
  if (/^(08|53|57P0)/.test(sqlState(e as PgLike))) return 'the database is unreachable or too busy; try again';
  const pgLike = e as PgLike;
  if (!e.name?.startsWith('Prisma') && ((pgLike.code && CONNECTION_LOST.has(pgLike.code)) || LOST_MESSAGE.test(pgLike.message ?? ''))) return 'the database is unreachable; try again';
  if (e.code && UNAVAILABLE.has(e.code)) return 'the database is unreachable or too busy; try again';
  const cause = e.meta?.driverAdapterError?.cause as { kind?: string } | undefined;
  if (e.name === 'DriverAdapterError' || cause?.kind === 'DatabaseNotReachable' || cause?.kind === 'ConnectionClosed') return 'the database is unreachable; try again';
  return undefined;
}
