/**
 * `pnpm services up`: starts every service of the harness (Redis, the Kafka-protocol
 * broker, ClickHouse over HTTP), prints `REDIS_URL=…` lines to use in a shell or `.env`, and stops everything
 * on Ctrl-C / SIGTERM.
 */
import { SERVICES, startServices } from './services.js';

const [command] = process.argv.slice(2);
if (command !== 'up') {
  console.error('usage: pnpm services up');
  process.exit(2);
}

const services = await startServices({ reuseEnv: false });
let failed = false;
for (const { name, envVar } of SERVICES) {
  const status = services.status[name];
  if (status.value) console.log(`${envVar}=${status.value}`);
  else {
    failed = true;
    console.error(`${name} failed to start: ${status.error}`);
  }
}
if (failed) {
  await services.stop();
  process.exit(1);
}
console.error('services are up; Ctrl-C stops them');

const shutdown = async () => {
  await services.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
