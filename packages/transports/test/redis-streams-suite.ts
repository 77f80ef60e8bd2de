import { randomUUID } from 'node:crypto';
import type { ClickEvent, ReceivedBatch } from '@linkpulse/core';
import { describeTransport } from '@linkpulse/core/testing';
import {
  RedisStreamsTransport,
  type RedisStreamsTransportOptions,
} from '@linkpulse/transports/redis';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** `count` click events of `code`, with ids `<code>-0000`, … */
export function events(count: number, code = 'abc'): ClickEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: 1,
    id: `${code}-${String(i).padStart(4, '0')}`,
    code,
    ts: 1_714_560_000_000 + i,
    visitorId: 'AAAAAAAAAAAAAAAA',
    ipPrefix: null,
    ua: 'test',
    referer: null,
    method: 'GET',
    utm: null,
  }));
}

/** The event ids of a batch the transport delivered. */
export const idsOf = (batch: ReceivedBatch) =>
  batch.records.map((record) => (JSON.parse(record as string) as ClickEvent).id);

/** A new client of the server or cluster under test, with these per-connection options. */
export type RedisConnect = (options?: Pick<RedisOptions, 'commandTimeout'>) => Redis | Cluster;

/**
 * The tests of {@link RedisStreamsTransport} on the clients `connect` opens (called after
 * the caller's `beforeAll`; the suite disconnects them): the shared Transport contract
 * and the transport's own, among them the dead-letter path and the takeover of entries a
 * dead member left. Streams are named `t:<uuid>`, without a hash tag, so on a Cluster
 * they spread over the masters and the default dead-letter stream gets a tag of its own.
 */
export function describeRedisStreamsTransport(name: string, connect: RedisConnect): void {
  describe(name, () => {
    let redis: Redis | Cluster;
    beforeAll(() => {
      redis = connect();
    });
    afterAll(() => {
      redis.disconnect();
    });

    describeTransport(name, async () => {
      const stream = `t:${randomUUID()}`;
      const transport = new RedisStreamsTransport({
        redis,
        stream,
        blockMs: 100,
        retryDelayMs: 20,
      });
      return {
        transport,
        cleanup: async () => {
          await redis.del(stream);
          await redis.del(transport.deadLetterStream);
        },
      };
    });

    describe('behaviour', () => {
      let stream: string;
      let transports: RedisStreamsTransport[];
      const open = (options: Partial<RedisStreamsTransportOptions> = {}) => {
        const transport = new RedisStreamsTransport({
          redis,
          stream,
          blockMs: 50,
          retryDelayMs: 10,
          ...options,
        });
        transports.push(transport);
        return transport;
      };

      beforeEach(() => {
        stream = `t:${randomUUID()}`;
        transports = [];
      });
      afterEach(async () => {
        await Promise.all(transports.map((transport) => transport.close()));
        await redis.del(stream);
        for (const { deadLetterStream } of transports) await redis.del(deadLetterStream);
      });

      it('stops a consumer that was still starting when close() ran: nothing is handled after close', async () => {
        const transport = open();
        const handled: string[] = [];
        const starting = transport.consume(
          async (batch) => {
            handled.push(...idsOf(batch));
          },
          { group: 'g' },
        );
        await transport.close();
        await expect(starting).rejects.toMatchObject({ code: 'unavailable' });
        const writer = open();
        await writer.send(events(1));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(handled).toEqual([]);
      });

      it('moves an entry that keeps failing to the dead-letter stream after maxDeliveries, and goes on', async () => {
        const errors: unknown[] = [];
        const transport = open({
          maxDeliveries: 3,
          batchSize: 1,
          onError: (error) => errors.push(error),
        });
        const attempts = new Map<string, number[]>();
        const acked: string[] = [];
        await transport.consume(
          async (batch) => {
            const [id] = idsOf(batch);
            attempts.set(id!, [...(attempts.get(id!) ?? []), batch.redeliveries]);
            if (id === 'abc-0001') throw new Error('poison (expected by the test)');
            acked.push(id!);
          },
          { group: 'g' },
        );
        await transport.send(events(3));
        await expect.poll(() => acked.length, { timeout: 5_000 }).toBe(2);
        const dead = transport.deadLetterStream;
        await expect.poll(async () => redis.xlen(dead), { timeout: 5_000 }).toBe(1);

        expect(acked).toEqual(['abc-0000', 'abc-0002']);
        expect(attempts.get('abc-0001')).toEqual([0, 1, 2]);
        const [[, fields]] = (await redis.xrange(dead, '-', '+')) as [[string, string[]]];
        expect(JSON.parse(fields[1]!).id).toBe('abc-0001');
        expect(fields.slice(2)).toEqual(['reason', 'not acknowledged after 3 deliveries']);
        const [pending] = (await redis.xpending(stream, 'g')) as [number];
        expect(pending).toBe(0);
        expect(transport.counters().deadLettered).toBe(1);
        expect(errors).toEqual([]);
      });

      it("takes over a dead consumer's pending entries once they are idle for claimIdleMs", async () => {
        const transport = open({ claimIdleMs: 300 });
        await transport.send(events(5));
        // A member that read the entries and died before acknowledging them.
        await redis.xgroup('CREATE', stream, 'g', '0');
        await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
        const received: string[] = [];
        const redeliveries: number[] = [];
        await transport.consume(
          async (batch) => {
            received.push(...idsOf(batch));
            redeliveries.push(batch.redeliveries);
          },
          { group: 'g', consumer: 'alive' },
        );
        await expect.poll(() => received.length, { timeout: 5_000 }).toBe(5);
        expect(received.sort()).toEqual(events(5).map((event) => event.id));
        expect(Math.min(...redeliveries)).toBe(1);
        const [pending] = (await redis.xpending(stream, 'g')) as [number];
        expect(pending).toBe(0);
      });

      it('acknowledges and counts as lost the pending entries trimmed before anyone handled them', async () => {
        const transport = open({ claimIdleMs: 100 });
        await transport.send(events(4));
        await redis.xgroup('CREATE', stream, 'g', '0');
        await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
        await redis.xtrim(stream, 'MAXLEN', 0);
        let handled = 0;
        await transport.consume(
          async (batch) => {
            handled += batch.records.length;
          },
          { group: 'g' },
        );
        await expect.poll(() => transport.counters().lost, { timeout: 5_000 }).toBe(4);
        const [pending] = (await redis.xpending(stream, 'g')) as [number];
        expect([pending, handled]).toEqual([0, 0]);
      });

      it('caps the stream at about maxLen and counts every trimmed entry', async () => {
        const transport = open({ maxLen: 10 });
        for (let i = 0; i < 6; i++) await transport.send(events(100, `c${i}`));
        const length = await redis.xlen(stream);
        const { sent, trimmed } = transport.counters();
        expect(sent).toBe(600);
        expect(length).toBeLessThan(600);
        expect(trimmed).toBe(600 - length);
      });

      it('keeps dead letters from the worker with their reasons', async () => {
        const transport = open();
        await transport.deadLetter([
          { record: '{"v":2}', reason: 'unknown version' },
          { record: { not: 'a string' }, reason: 'malformed' },
        ]);
        const entries = (await redis.xrange(transport.deadLetterStream, '-', '+')) as [
          string,
          string[],
        ][];
        expect(entries.map(([, fields]) => fields)).toEqual([
          ['record', '{"v":2}', 'reason', 'unknown version'],
          ['record', '{"not":"a string"}', 'reason', 'malformed'],
        ]);
        await transport.close();
        await expect(transport.send(events(1))).rejects.toMatchObject({ code: 'unavailable' });
      });

      it("blocks for new entries longer than the client's commandTimeout, without errors", async () => {
        const errors: unknown[] = [];
        const impatient = connect({ commandTimeout: 200 });
        const transport = open({
          redis: impatient,
          blockMs: 600,
          onError: (error) => errors.push(error),
        });
        try {
          const received: string[] = [];
          await transport.consume(
            async (batch) => {
              received.push(...idsOf(batch));
            },
            { group: 'g' },
          );
          // Two blocking reads find nothing; each outlasts the client's command timeout.
          await new Promise((resolve) => setTimeout(resolve, 1_300));
          await transport.send(events(2));
          await expect.poll(() => received.length, { timeout: 5_000 }).toBe(2);
          expect(errors).toEqual([]);
        } finally {
          await transport.close();
          impatient.disconnect();
        }
      });
    });
  });
}
