/**
 * describeDtos fills the OpenAPI document's request schemas from the DTOs'
 * class-validator decorators (type, pattern, lengths, ranges, enums,
 * required fields, nested DTOs), so the document says what the validation
 * pipe accepts and clients and the REST fuzzer can be driven by it. The
 * decorators stay the one source; nothing is declared twice.
 */
import { getMetadataStorage } from 'class-validator';
import { createRequire } from 'node:module';

/** A DTO class (what class-validator and class-transformer key their metadata by). */
type Class = abstract new (...args: never[]) => unknown;

// class-transformer keeps @Type() targets in a storage its package does not export by type.
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as {
  defaultMetadataStorage: { findTypeMetadata(target: Class, property: string): { typeFunction?: () => unknown } | undefined };
};

type Schema = Record<string, unknown>;
interface Rule {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
  target: Class;
}

// Constraint name -> what it adds to a value's schema.
const SCALAR: Record<string, (c: unknown[]) => Schema> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isBoolean: () => ({ type: 'boolean' }),
  isObject: () => ({ type: 'object' }),
  isIn: (c) => ({ enum: c[0] }),
  matches: (c) => ({ type: 'string', pattern: (c[0] as RegExp).source }),
  maxLength: (c) => ({ type: 'string', maxLength: c[0] }),
  minLength: (c) => ({ type: 'string', minLength: c[0] }),
  min: (c) => ({ minimum: c[0] }),
  max: (c) => ({ maximum: c[0] }),
};
const ARRAY: Record<string, (c: unknown[]) => Schema> = {
  isArray: () => ({ type: 'array' }),
  arrayMaxSize: (c) => ({ type: 'array', maxItems: c[0] }),
};

function rulesOf(cls: Class): Rule[] {
  return getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as unknown as Rule[];
}

/** schemaOf builds one DTO's schema; nested DTOs are added to `all` and referenced. */
function schemaOf(cls: Class, all: Record<string, Schema>): Schema {
  const props: Record<string, Schema> = {};
  const optional = new Set<string>();
  for (const r of rulesOf(cls)) {
    const p = (props[r.propertyName] ??= {});
    if (r.type === 'conditionalValidation') optional.add(r.propertyName);
    if (r.type === 'nestedValidation') {
      const nested = defaultMetadataStorage.findTypeMetadata(cls, r.propertyName)?.typeFunction?.() as Class | undefined;
      if (!nested) continue;
      all[nested.name] ??= schemaOf(nested, all);
      const ref = { $ref: `#/components/schemas/${nested.name}` };
      Object.assign(p, r.each ? { type: 'array', items: ref } : ref);
      continue;
    }
    const c = r.constraints ?? [];
    if (r.name && ARRAY[r.name]) Object.assign(p, ARRAY[r.name](c));
    else if (r.name && SCALAR[r.name]) Object.assign(r.each ? ((p.items ??= {}) as Schema) : p, SCALAR[r.name](c));
  }
  const required = Object.keys(props).filter((k) => !optional.has(k));
  return { type: 'object', properties: props, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** describeDtos replaces each empty schema named after a validated DTO class with its description. */
export function describeDtos(doc: { components?: { schemas?: Record<string, unknown> } }): void {
  const schemas = doc.components?.schemas;
  if (!schemas) return;
  const targets = [...new Set(rulesOfAll().map((r) => r.target))];
  for (const name of Object.keys(schemas)) {
    const cls = targets.find((t) => t.name === name);
    if (cls) schemas[name] = schemaOf(cls, schemas as Record<string, Schema>);
  }
}

function rulesOfAll(): Rule[] {
  // The storage keeps every decorated class; this is the only way to list them by name.
  const byTarget = (getMetadataStorage() as unknown as { validationMetadatas?: Map<Class, Rule[]> }).validationMetadatas;
  return byTarget ? [...byTarget.values()].flat() : [];
}
