/** newId makes the 25-character lower-case alphanumeric ids every row uses. */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newId(): string {
  let s = '';
  for (const b of randomBytes(25)) s += ALPHABET[b % 36];
  return s;
}
