// browser-field.ts - an esbuild plugin applying package.json `browser` object maps (the browser field spec) on
// platform 'neutral', where esbuild ignores them: how packages like the AWS SDK swap their Node runtime config
// (node:http, node:fs credential files) for the fetch-based one. Test-only.
import type { Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

type BrowserMap = Record<string, string | false>;
interface Pkg {
  root: string;
  map: BrowserMap;
}

/** The package (a directory whose package.json has a name) a file belongs to, with its browser map. */
function packageOf(file: string, cache: Map<string, Pkg | null>): Pkg | null {
  let dir = dirname(file);
  const seen: string[] = [];
  for (;;) {
    const hit = cache.get(dir);
    if (hit !== undefined) {
      for (const d of seen) cache.set(d, hit);
      return hit;
    }
    seen.push(dir);
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; browser?: unknown };
      if (json.name) {
        const pkg = json.browser && typeof json.browser === 'object' ? { root: dir, map: json.browser as BrowserMap } : null;
        for (const d of seen) cache.set(d, pkg);
        return pkg;
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function withJs(path: string): string {
  return existsSync(path) ? path : `${path}.js`;
}

/** Maps relative imports inside packages through their `browser` field; `false` becomes an empty module. */
export function browserFieldPlugin(): Plugin {
  const cache = new Map<string, Pkg | null>();
  return {
    name: 'browser-field',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.importer.includes('/node_modules/')) return undefined;
        const pkg = packageOf(args.importer, cache);
        if (!pkg) return undefined;
        const abs = resolve(args.resolveDir, args.path);
        const rel = `./${relative(pkg.root, abs)}`;
        for (const key of [rel, rel.replace(/\.js$/, ''), `${rel}.js`]) {
          const to = pkg.map[key];
          if (to === undefined) continue;
          if (to === false) return { path: abs, namespace: 'browser-empty' };
          return { path: withJs(join(pkg.root, to)) };
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'browser-empty' }, () => ({ contents: 'export {}', loader: 'js' }));
    },
  };
}
