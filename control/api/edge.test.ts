// edge.test.ts - the app stays edge-hostable: it bundles for a neutral platform with no Node built-in anywhere in it.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('edge-hostable', () => {
  it('bundles control/api/app.ts with platform "neutral" and imports no node:* module', async () => {
    const imported: string[] = [];
    const result = await build({
      entryPoints: ['control/api/app.ts'],
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      // `neutral` reads no package.json main fields by default; zod-to-openapi has no "exports" map.
      mainFields: ['module', 'main'],
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'record-builtins',
          setup(b) {
            b.onResolve({ filter: /^(node:|fs$|path$|crypto$|child_process$|os$|stream$|buffer$|util$|events$)/ }, (args) => {
              imported.push(`${args.path} (from ${args.importer})`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    expect(imported).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((f) => f.includes('control/api/app.ts'))).toBe(true);
    expect(inputs.filter((f) => /aws-sdk|control\/store\//.test(f))).toEqual([]);
  });
});
