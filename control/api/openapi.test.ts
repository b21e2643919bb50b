// openapi.test.ts - the document at /v1/openapi.json: valid OpenAPI 3.1, complete (every served route is in it),
// secured as the routes are, and describing the jobspec from the core's own schema.
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { FakeServices, send } from './fake-services.ts';

type Operation = { responses?: Record<string, unknown>; security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> } };
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, unknown> };
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
let app: ReturnType<typeof createApp>;
let doc: Doc;

beforeAll(async () => {
  app = createApp(new FakeServices().services, { version: '1.2.3' });
  const res = await send(app, 'GET', '/v1/openapi.json', { token: null });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  doc = res.body as Doc;
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({ path, method, op })),
  );

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with info, operations that all answer, and the bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Flurry REST API', version: '1.2.3' });
    expect(operations().length).toBeGreaterThanOrEqual(12);
    for (const { path, method, op } of operations()) {
      const statuses = Object.keys(op.responses ?? {});
      expect(statuses.some((s) => /^2\d\d$/.test(s)), `${method} ${path} has a 2xx response`).toBe(true);
      expect(statuses, `${method} ${path} documents its 500`).toContain('500');
    }
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
  });

  it('validates against the OpenAPI 3.1 schema, and every $ref resolves', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.add(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });

  it('holds every route the app serves, and nothing it does not serve', () => {
    const served = new Set(
      app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations().map(({ method, path }) => `${method} ${path}`));
    for (const route of served) expect(documented.has(route), `${route} is in the document`).toBe(true);
    for (const op of documented) expect(served.has(op), `${op} is served`).toBe(true);
  });

  it('declares the bearer requirement exactly where the app enforces it', () => {
    for (const { path, method, op } of operations()) {
      const isPublic = path === '/v1/health' || path === '/v1/openapi.json';
      expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : [{ bearerAuth: [] }]);
      if (!isPublic) expect(Object.keys(op.responses ?? {}), `${method} ${path}`).toContain('401');
    }
  });

  it('describes jobspecs with the JobspecV1 schema generated from the core', () => {
    const submit = doc.paths['/v1/jobs']?.post?.requestBody?.content['application/json']?.schema;
    expect(submit).toEqual({ $ref: '#/components/schemas/SubmitRequest' });
    const body = doc.components.schemas.SubmitRequest;
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.jobspec.anyOf).toContainEqual({ $ref: '#/components/schemas/JobspecV1' });
    expect(body.properties.jobspecs).toMatchObject({ type: 'array', maxItems: 1000 });
    expect(body.properties.urgency).toMatchObject({ type: 'integer', minimum: 0, maximum: 31 });
    const jobspec = doc.components.schemas.JobspecV1;
    expect(jobspec).toMatchObject({ type: 'object', required: ['version', 'resources', 'tasks', 'attributes'] });
    expect(JSON.stringify(jobspec)).not.toContain('#/$defs/');
  });

  it('types every id in answers as an f58 string', () => {
    const summary = doc.components.schemas.JobSummary;
    expect(summary.properties.id).toEqual({ $ref: '#/components/schemas/JobId' });
    expect(doc.components.schemas.JobId).toMatchObject({ type: 'string', pattern: expect.stringContaining('ƒ') });
    const param = (doc.paths['/v1/jobs/{id}']?.get as { parameters?: Array<{ name: string; in: string; required: boolean }> }).parameters;
    expect(param).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
  });

  it('is the same document on every request (generated once)', async () => {
    const again = await send(app, 'GET', '/v1/openapi.json', { token: null });
    expect(again.body).toEqual(doc);
  });
});
