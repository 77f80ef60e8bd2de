import { libraryConfig } from '../../tsup.base';

export default libraryConfig({
  sqlite: 'src/sqlite/index.ts',
  redis: 'src/redis/index.ts',
});
