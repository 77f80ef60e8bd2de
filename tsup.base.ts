import { defineConfig, type Options } from 'tsup';

/**
 * The one build configuration every published package uses: ESM first, CJS beside it,
 * `.d.ts`/`.d.cts` from the sources, one entry per subpath export.
 */
export function libraryConfig(entry: Record<string, string>, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    tsconfig: '../../tsconfig.build.json',
    ...extra,
  });
}
