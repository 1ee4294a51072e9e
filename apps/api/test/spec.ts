import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** The official spec, read from ../shared/fdx relative to the repository root, never copied into it. */
export const SPEC_PATH = fileURLToPath(new URL('../../../../shared/fdx/corex-6.3.yaml', import.meta.url));
export const specAvailable = existsSync(SPEC_PATH);
export const specMissingMessage = `FDX spec not found at ${SPEC_PATH}; spec conformance tests skipped`;

type Json = Record<string, unknown>;

/** OpenAPI 3.0 → JSON Schema: drop `discriminator` (oneOf already decides) and `example`. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'discriminator' || k === 'example' || k === 'nullable') continue;
    out[k] = toJsonSchema(v);
  }
  return out;
}

export interface SpecValidator {
  /** Validates a 200 JSON body of operation `path` (as written in the spec). */
  validate(path: string, body: unknown): string[];
  spec: Json;
}

export function loadSpecValidator(): SpecValidator {
  const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  const components = toJsonSchema((spec.components as Json).schemas) as Json;
  ajv.addSchema({ $id: 'fdx', components: { schemas: components } });
  const cache = new Map<string, ValidateFunction>();
  const paths = spec.paths as Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> } }>;
  return {
    spec,
    validate(path, body) {
      let fn = cache.get(path);
      if (!fn) {
        const ref = paths[path]?.get.responses['200']?.content['application/json']?.schema.$ref;
        if (!ref) throw new Error(`no JSON 200 response for ${path} in the spec`);
        fn = ajv.compile({ $ref: `fdx${ref}` });
        cache.set(path, fn);
      }
      return fn(body) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
}
