/**
 * The little of the DNS wire format (RFC 1035) the embedded resolver needs:
 * read a query's id, flags and first question; write an answer with A
 * records, or an error response, echoing the question.
 */
export class DnsFormatError extends Error {}

export interface Question {
  id: number;
  /** Recursion desired, echoed back. */
  rd: boolean;
  name: string;
  type: number;
  klass: number;
  /** The question section's bytes, echoed in the response. */
  raw: Buffer;
}

export const TYPE_A = 1;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

export function readQuestion(msg: Buffer): Question {
  if (msg.length < 12) throw new DnsFormatError('short message');
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError('not a query');
  if (msg.readUInt16BE(4) < 1) throw new DnsFormatError('no question');
  const labels: string[] = [];
  let off = 12;
  for (let guard = 0; ; guard++) {
    if (off >= msg.length || guard > 127) throw new DnsFormatError('bad name');
    const len = msg[off];
    if (len === 0) {
      off++;
      break;
    }
    if (len & 0xc0) throw new DnsFormatError('compressed name in a question');
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) throw new DnsFormatError('short question');
  return { id, rd: (flags & 0x0100) !== 0, name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), klass: msg.readUInt16BE(off + 2), raw: msg.subarray(12, off + 4) };
}

/** answer builds a response to `q` with A records for `ips` (TTL seconds), or the rcode. */
export function answer(q: Question, rcode: number, ips: string[] = [], ttl = 0): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8000 | 0x0400 /* AA */ | (q.rd ? 0x0100 : 0) | 0x0080 /* RA */ | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(ips.length, 6);
  const records = ips.map((ip) => {
    const r = Buffer.alloc(16);
    r.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    r.writeUInt16BE(TYPE_A, 2);
    r.writeUInt16BE(CLASS_IN, 4);
    r.writeUInt32BE(ttl, 6);
    r.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => r.writeUInt8(Number(o), 12 + i));
    return r;
  });
  return Buffer.concat([head, q.raw, ...records]);
}
