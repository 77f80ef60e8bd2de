/**
 * What app nodes and workers share as operated services: health and readiness probes,
 * the Prometheus endpoint, and graceful shutdown on SIGTERM / SIGINT.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Request lines at `debug`, so that a busy node logs only what matters at `info`: a
 * completed request with an error is still logged at `error`.
 */
class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error(
        { res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

/** A Fastify server logging JSON lines (pino) at `logLevel`, each with `node: nodeName`. */
export function createServer({
  logLevel,
  nodeName,
}: {
  logLevel: string;
  nodeName: string;
}): FastifyInstance {
  return Fastify({
    logger: { level: logLevel, base: { node: nodeName } },
    logController: new QuietRequestLog(),
  });
}

/** A dependency check: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

/** Options of {@link addOpsRoutes}. */
export interface OpsRoutesOptions {
  /** Served at `/metrics`. */
  registry: Registry;
  /** Checked by `/readyz`, by name (e.g. `redis`, `kafka`, `clickhouse`). */
  probes: Readonly<Record<string, Probe>>;
  /** A probe that has not answered after this long fails. Default 2,000 ms. */
  probeTimeoutMs?: number;
}

function withTimeout(probe: Probe, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    probe(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Adds `GET /healthz` (the process is up), `GET /readyz` (200 when every probe answers,
 * 503 naming the failing ones, and 503 once shutdown began, so load balancers stop
 * sending work first) and `GET /metrics` (Prometheus text).
 */
export function addOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  const { registry, probes } = options;
  const timeoutMs = options.probeTimeoutMs ?? 2_000;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'shutting down' });
    const names = Object.keys(probes);
    const outcomes = await Promise.allSettled(
      names.map((name) => withTimeout(probes[name]!, timeoutMs)),
    );
    const checks: Record<string, string> = {};
    let ready = true;
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') checks[names[index]!] = 'ok';
      else {
        ready = false;
        checks[names[index]!] = String((outcome.reason as Error)?.message ?? outcome.reason);
      }
    });
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

/**
 * Listens, then closes the app on the first SIGTERM or SIGINT (its `onClose` hooks do
 * the draining) and exits: 0 when everything closed, 1 on an error or when closing takes
 * longer than `timeoutMs`.
 */
export async function serveUntilSignal(
  app: FastifyInstance,
  { port, host, timeoutMs }: { port: number; host: string; timeoutMs: number },
): Promise<void> {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Ctrl-C in a terminal signals a whole process group: only the first signal counts.
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app.log.info({ signal }, 'shutting down');
      setTimeout(() => {
        app.log.error('shutdown timed out');
        process.exit(1);
      }, timeoutMs).unref();
      app.close().then(
        () => {
          app.log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  await app.listen({ port, host });
}
