// contract.test.ts - the SDK against the server's OpenAPI document: every route it calls exists with the method,
// path, query and body fields it sends, and every answer type's fields are in the response schemas (required ones
// required), with nothing in the schemas the SDK does not know about. Also checked at compile time: the server's
// JSON types are assignable to the SDK's.
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createApp } from '../../control/api/app.ts';
import { FakeServices } from '../../control/api/fake-services.ts';
import type { JobInfoJson, JobSummaryJson } from '../../control/api/schemas.ts';
import { ROUTES, SHAPES, type Shape } from './contract.ts';
import type { JobInfo, JobSummary } from './types.ts';

type Schema = {
  $ref?: string; allOf?: Schema[]; anyOf?: Schema[]; type?: string | string[]; items?: Schema;
  properties?: Record<string, Schema>; required?: string[];
};
type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/**
 * Fields the document leaves optional though the server always sends them: zod's `unknown()` (the jobspec, whose
 * schema is a $ref) cannot be marked required. The SDK types them as required; listed here so nothing else slips.
 */
const ALWAYS_SENT_BUT_OPTIONAL_IN_DOCUMENT = new Set(['JobInfo.jobspec']);

let doc: Doc;
beforeAll(async () => {
  const app = createApp(new FakeServices().services);
  const res = await app.request('/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});

/** A schema with $refs followed and allOf parts merged (properties and required). */
function resolve(s: Schema): Schema {
  if (s.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`dangling $ref ${s.$ref}`);
    return resolve(target);
  }
  if (s.allOf) {
    const parts = s.allOf.map(resolve);
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
      required: parts.flatMap((p) => p.required ?? []),
    };
  }
  return s;
}

/** Problems between one SDK shape and a response schema, recursing into nested shapes. */
function compare(name: string, shape: Shape, schema: Schema, where: string): string[] {
  const s = resolve(schema);
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const problems: string[] = [];
  for (const f of [...shape.required, ...shape.optional]) if (!(f in props)) problems.push(`${where}: the SDK's ${name}.${f} is not in the schema`);
  for (const f of shape.required) {
    if (f in props && !required.has(f) && !ALWAYS_SENT_BUT_OPTIONAL_IN_DOCUMENT.has(`${name}.${f}`)) {
      problems.push(`${where}: the SDK's ${name}.${f} is required, the schema's is optional`);
    }
  }
  const known = new Set([...shape.required, ...shape.optional]);
  for (const f of Object.keys(props)) if (!known.has(f)) problems.push(`${where}: the schema's ${name}.${f} is missing from the SDK's types`);
  for (const [field, nestedName] of Object.entries(shape.nested)) {
    let sub = props[field];
    if (!sub) continue;
    sub = resolve(sub);
    if (sub.items) sub = sub.items;
    problems.push(...compare(nestedName, SHAPES[nestedName], sub, `${where}.${field}`));
  }
  return problems;
}

describe('the SDK against the OpenAPI document', () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    describe(`${name}: ${route.method} ${route.path}`, () => {
      const op = () => doc.paths[route.path]?.[route.method.toLowerCase()];

      it('exists with that method', () => {
        expect(doc.paths[route.path], `no path ${route.path}`).toBeDefined();
        expect(op(), `no ${route.method} on ${route.path}`).toBeDefined();
      });

      it('takes the path and query parameters the SDK sends', () => {
        const params = op()?.parameters ?? [];
        for (const p of route.path.match(/\{\w+\}/g) ?? []) {
          expect(params.some((q) => q.in === 'path' && q.name === p.slice(1, -1)), `path parameter ${p}`).toBe(true);
        }
        const query = 'query' in route ? route.query : [];
        for (const q of query) expect(params.some((x) => x.in === 'query' && x.name === q), `query parameter ${q}`).toBe(true);
        // And the SDK sends nothing the server requires that it does not know about.
        for (const p of params.filter((x) => x.in === 'query' && x.required)) expect(query).toContain(p.name);
      });

      it('takes the body fields the SDK sends', () => {
        const body = 'body' in route ? route.body : undefined;
        const content = op()?.requestBody?.content['application/json'];
        if (!body) {
          expect(op()?.requestBody).toBeUndefined();
          return;
        }
        expect(content, 'a JSON request body').toBeDefined();
        const props = resolve(content!.schema).properties ?? {};
        for (const f of body) expect(Object.keys(props), `body field ${f}`).toContain(f);
        for (const f of resolve(content!.schema).required ?? []) expect(body, `required body field ${f}`).toContain(f);
      });

      it(`answers ${route.status} with the fields of the SDK's ${route.answer}`, () => {
        const schema = op()?.responses[String(route.status)]?.content?.['application/json']?.schema;
        expect(schema, `a JSON ${route.status} answer`).toBeDefined();
        expect(compare(route.answer, SHAPES[route.answer], schema!, `${route.method} ${route.path}`)).toEqual([]);
      });
    });
  }

  it('the server JSON types fit the SDK types', () => {
    expectTypeOf<JobSummaryJson>().toExtend<JobSummary>();
    expectTypeOf<Omit<JobInfoJson, 'jobspec'> & { jobspec: unknown }>().toExtend<JobInfo>();
  });
});
