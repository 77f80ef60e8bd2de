import { libraryConfig } from '../../tsup.base';

export default libraryConfig({
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  prometheus: 'src/prometheus.ts',
  http: 'src/http/index.ts',
});
