// portable.test.ts - the SDK bundles for a browser (no node:* modules anywhere in its import graph), so it runs in
// notebook kernels, Deno and browsers as well as Node.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the SDK', () => {
  it('bundles for the browser platform without Node built-ins', async () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /(^|\/)local\/|\/store\/|@aws-sdk/.test(p))).toEqual([]);
  });
});
