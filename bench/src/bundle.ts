import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Entry points of the bench's child processes, relative to `src/`. */
export const ENTRIES = [
  'servers/server-process.ts',
  'load/load-process.ts',
  'scenarios/emitter-probe.ts',
  'scenarios/pipeline-probe.ts',
] as const;

/** A child process's entry point. */
export type Entry = (typeof ENTRIES)[number];

/** Modules the bench starts as analytics threads (see `servers/threads.ts`), relative to `src/`. */
export const THREAD_ENTRIES = [
  'servers/counting-thread.ts',
  'servers/embedded-thread.ts',
  'pipelines/kafka-forward-thread.ts',
] as const;

/**
 * Third-party packages stay outside the bundle, imported by absolute path so that each
 * resolves from its own dependent's `node_modules` (pnpm keeps them apart);
 * `@linkpulse/*` packages are bundled from their TypeScript sources.
 */
const externals: Plugin = {
  name: 'linkpulse-bench-externals',
  setup(plugin) {
    plugin.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@linkpulse/') || args.pluginData === 'inner') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const resolved = await plugin.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'inner',
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, external: true };
    });
  },
};

/**
 * Bundles the child processes' entry points and the thread modules into `outDir`, with the
 * workspace packages taken from their current sources: the servers run on plain `node`,
 * with no TypeScript loader in their memory or on their CPU, and always measure the code
 * as it is now. Every output sits one folder below `outDir` (shared chunks in `chunks/`),
 * as every entry sits one folder below `src/`, so that code finds a thread module's bundle
 * relative to its own `import.meta.url` as it finds the source.
 */
export async function bundleEntries(srcDir: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [...ENTRIES, ...THREAD_ENTRIES].map((entry) => ({
      in: join(srcDir, entry),
      out: entry.replace(/\.ts$/, ''),
    })),
    outdir: outDir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@linkpulse/source'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [externals],
    absWorkingDir: dirname(srcDir),
  });
}
