import { libraryConfig } from '../../tsup.base';

export default libraryConfig({
  redis: 'src/redis/index.ts',
  kafka: 'src/kafka/index.ts',
});
