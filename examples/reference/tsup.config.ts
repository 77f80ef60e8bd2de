import { defineConfig } from 'tsup';

/**
 * `pnpm build`: the app (and its producer thread), worker and load generator as self-contained ESM bundles in
 * `dist/` (the workspace packages from their sources, every npm dependency inlined), so
 * the container image needs `dist/` and Node, nothing else. chdb stays out: it is the
 * single-machine ClickHouse of `pnpm cluster`, never used in the images.
 */
export default defineConfig({
  entry: {
    app: 'src/app.ts',
    'producer-thread': 'src/producer-thread.ts',
    worker: 'src/worker.ts',
    loadgen: 'src/loadgen.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  dts: false,
  noExternal: [/^(?!chdb(\/|$))/],
  external: ['chdb', 'chdb/connection'],
  tsconfig: '../../tsconfig.build.json',
  esbuildOptions(options) {
    options.conditions = ['@linkpulse/source'];
  },
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
