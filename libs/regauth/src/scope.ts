/**
 * Scopes of Docker's token authentication: `repository:NAME:ACTIONS` and
 * `registry:catalog:*`, as clients put them in `scope=` and tokens carry
 * them in their `access` claim.
 */

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** parseScope reads one scope string; undefined when it is malformed. */
export function parseScope(scope: string): Access | undefined {
  // Names never hold ':' but a registry host with a port could; take type first, actions last.
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter(Boolean);
  if (!name || !actions.length) return undefined;
  return { type, name, actions };
}

/** parseScopes reads every `scope` value of a token request (space- or repeat-separated). */
export function parseScopes(values: string[]): Access[] {
  return values
    .flatMap((v) => v.split(' '))
    .filter(Boolean)
    .map(parseScope)
    .filter((a): a is Access => a !== undefined);
}

export function formatScope(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/**
 * allows says whether the granted access list permits `action` on type/name.
 * A granted name `*` covers every name of its type: the controller signs such
 * tokens only for itself and builders (pull any base image), never for users.
 */
export function allows(granted: Access[], type: string, name: string, action: string): boolean {
  return granted.some((a) => a.type === type && (a.name === name || a.name === '*') && (a.actions.includes(action) || a.actions.includes('*')));
}
