// edge.test.ts - the HTTP app over the control plane as it runs on Lambda (control/lambda/http-app.ts: the Hono
// app, the plane, the store, the AWS SDK clients, the Management API transport, the table registry) is
// edge-hostable: bundled for a neutral platform, its module graph holds no Node built-in.
import { build, type Metafile } from 'esbuild';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';
import { browserFieldPlugin } from './browser-field.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (path: string) => path.startsWith('node:') || BUILTINS.has(path) || BUILTINS.has(path.split('/')[0]!);

async function bundleNeutral(entry: string): Promise<Metafile> {
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: 'edge.mjs',
    format: 'esm',
    platform: 'neutral',
    // The AWS SDK picks its fetch-based runtime through the browser field and the `browser` export condition;
    // @asteasolutions/zod-to-openapi needs `module`/`main`.
    mainFields: ['browser', 'module', 'main'],
    conditions: ['browser'],
    plugins: [browserFieldPlugin()],
    // Left external so the build succeeds and the metafile names every file that reaches for one.
    external: [...BUILTINS],
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

describe('edge-hostable HTTP app', () => {
  it('has no Node built-in anywhere in its module graph', async () => {
    const meta = await bundleNeutral('control/lambda/http-app.ts');
    const offenders = Object.entries(meta.inputs).flatMap(([file, input]) => [
      ...(isBuiltin(file) ? [`${file} (input)`] : []),
      ...input.imports.filter((i) => isBuiltin(i.path)).map((i) => `${file} imports ${i.path}`),
    ]);
    expect(offenders).toEqual([]);
    const inputs = Object.keys(meta.inputs);
    // It really is the whole plane: the API, the scheduler, the store, the AWS SDK.
    for (const part of ['control/api/app.ts', 'control/plane.ts', 'control/scheduler/scheduler.ts', 'control/store/jobs.ts', 'control/lambda/context.ts', 'control/agents/store-registry.ts']) {
      expect(inputs).toContain(part);
    }
    expect(inputs.some((p) => p.includes('@aws-sdk/client-dynamodb/dist-es/runtimeConfig.browser'))).toBe(true);
  }, 60_000);

  it('would catch a Node built-in (the Lambda entry, through hono/aws-lambda, has one)', async () => {
    const meta = await bundleNeutral('control/lambda/http.ts');
    const imports = Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter(isBuiltin)).toContain('node:stream/promises');
  }, 60_000);
});
