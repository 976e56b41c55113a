/** Query-string helpers: booleans ("true"/"1"), bounded integers and times, with field-named errors. */
import { FieldValidationError } from './validation.js';

export function boolQuery(v: unknown, field: string): boolean {
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new FieldValidationError([{ field, message: `${field} must be true or false` }]);
}

export function tailQuery(v: unknown): number {
  if (v === undefined || v === '' || v === 'all') return -1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new FieldValidationError([{ field: 'tail', message: 'tail must be a non-negative integer or "all"' }]);
  return n;
}

/** LogView: how a log request wants its lines (logs?follow=&tail=&since=&timestamps=). */
export interface LogView {
  follow: boolean;
  tail: number;
  /** Lines from this time on (Unix ms; 0: all). */
  sinceMs: number;
  /** Each line starts with the time it was written (RFC 3339, UTC). */
  timestamps: boolean;
}

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/** sinceQuery reads docker's --since: an RFC 3339 time, Unix seconds, or a duration before now (10m, 1h30m, 45s); Unix ms. */
export function sinceQuery(v: unknown, now = Date.now()): number {
  if (v === undefined || v === '') return 0;
  const fail = () => new FieldValidationError([{ field: 'since', message: 'since must be a time (2026-12-02T10:00:00Z), Unix seconds or a duration before now (10m, 1h30m)' }]);
  if (typeof v !== 'string' || v.length > 64) throw fail();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const d = DURATION.exec(v);
  if (d && (d[1] || d[2] || d[3])) return now - Math.round(((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)) * 1000);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  throw fail();
}

/** logView reads a log request's query. */
export function logView(q: { follow?: string; tail?: string; since?: string; timestamps?: string }): LogView {
  return { follow: boolQuery(q.follow, 'follow'), tail: tailQuery(q.tail), sinceMs: sinceQuery(q.since), timestamps: boolQuery(q.timestamps, 'timestamps') };
}
