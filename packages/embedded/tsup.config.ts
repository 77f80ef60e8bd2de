import { libraryConfig } from '../../tsup.base';

export default libraryConfig(
  {
    index: 'src/index.ts',
    'analytics-thread': 'src/analytics-thread.ts',
  },
  // `index` finds `analytics-thread` beside itself through `import.meta.url`, which the CJS
  // build only has with tsup's shims.
  { shims: true },
);
