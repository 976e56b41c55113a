/**
 * textProblem: why a string from a request cannot be used, or undefined.
 * Postgres text refuses NUL and unpaired UTF-16 surrogates (they have no
 * UTF-8 form), so neither is ever accepted; names (path and query values,
 * object keys) also refuse control characters and overlong values.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls except NUL (reported on its own), DEL and the C1 controls.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;

export interface TextRules {
  allowControl: boolean;
  maxLength?: number;
}

export function textProblem(s: string, rules: TextRules): string | undefined {
  if (s.includes('\0')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'is not valid Unicode (an unpaired surrogate)';
  if (!rules.allowControl) {
    const c = CONTROL.exec(s);
    if (c) return `contains a control character (U+${c[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})`;
  }
  if (rules.maxLength !== undefined && s.length > rules.maxLength) return `is longer than ${rules.maxLength} characters`;
  return undefined;
}
