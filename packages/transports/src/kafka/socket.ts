import { connect, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';

/** What kafkajs hands its `socketFactory` for each broker connection. */
export interface KafkaSocketFactoryArgs {
  host: string;
  port: number;
  /** The client's `ssl` setting: TLS options, `true` for TLS with defaults, or none. */
  ssl?: ConnectionOptions | boolean | null;
  onConnect: () => void;
}

/** Keep-alive probes start after this long idle, as in kafkajs' own factory. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * A kafkajs `socketFactory` (the `Kafka` constructor's option) that opens connections as
 * kafkajs does (TLS when `ssl` is set, keep-alive) but with Nagle's algorithm off. kafkajs
 * leaves it on, so that a small request written while an earlier one is unacknowledged (the
 * offset commits of partitions handled together, say) can wait for the broker's delayed ACK,
 * about 40 ms on Linux.
 *
 * @example
 * ```ts
 * const kafka = new Kafka({ clientId: 'linkpulse', brokers, socketFactory: noDelaySocketFactory });
 * ```
 */
export function noDelaySocketFactory({
  host,
  port,
  ssl,
  onConnect,
}: KafkaSocketFactoryArgs): Socket {
  const socket = ssl
    ? connectTls(
        {
          host,
          port,
          ...(isIP(host) ? {} : { servername: host }),
          ...(typeof ssl === 'object' ? ssl : {}),
        },
        onConnect,
      )
    : connect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  socket.setNoDelay(true);
  return socket;
}
