/**
 * The operations of the controller's OpenAPI document, as the REST fuzzer
 * needs them: method, path template, path and query parameters, and the
 * request body's schema with `$ref`s resolved.
 */

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  $ref?: string;
}

export interface Operation {
  id: string;
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** The declared body schema; undefined when the document declares none. */
  body?: Schema;
  /** Whether the operation is public (the token endpoint) or needs a bearer token. */
  secured: boolean;
}

interface Doc {
  paths: Record<
    string,
    Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }>; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }>
  >;
  components?: { schemas?: Record<string, Schema> };
}

/** resolve inlines `$ref`s (to a bounded depth: the DTOs do not recurse, but a document could). */
function resolve(s: Schema | undefined, schemas: Record<string, Schema>, depth = 0): Schema | undefined {
  if (!s || depth > 8) return s;
  if (s.$ref) return resolve(schemas[s.$ref.replace('#/components/schemas/', '')], schemas, depth + 1);
  const out: Schema = { ...s };
  if (s.items) out.items = resolve(s.items, schemas, depth + 1);
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolve(v, schemas, depth + 1)!]));
  return out;
}

export function operationsOf(doc: Doc): Operation[] {
  const schemas = doc.components?.schemas ?? {};
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const schema = Object.values(content)[0]?.schema;
      ops.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: resolve(schema, schemas),
        secured: (op.security ?? []).length > 0,
      });
    }
  }
  return ops;
}

export async function loadOperations(baseUrl: string): Promise<Operation[]> {
  const res = await fetch(`${baseUrl}/api/openapi.json`);
  if (!res.ok) throw new Error(`GET /api/openapi.json: ${res.status}`);
  return operationsOf((await res.json()) as Doc);
}
