/**
 * expand: Dockerfile variable substitution as Docker does it — $NAME,
 * ${NAME}, ${NAME:-default}, ${NAME:+alternative}, and \$ for a literal
 * dollar. Unset variables expand to the empty string.
 */
export class ExpandError extends Error {}

export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) throw new ExpandError(`missing } in "${text}"`);
      const body = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new ExpandError(`bad substitution \${${body}}`);
      const value = vars.get(m[1]);
      if (m[2] === '-') out += value ? value : expand(m[3], vars);
      else if (m[2] === '+') out += value ? expand(m[3], vars) : '';
      else out += value ?? '';
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}
