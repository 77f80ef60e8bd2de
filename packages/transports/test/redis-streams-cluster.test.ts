import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisStreamsTransport } from '@linkpulse/transports/redis';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../tools/services/free-port.js';
import { type RedisCluster, startRedis, startRedisCluster } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';
import { hashSlot } from '../src/redis/key-slot.js';
import { describeRedisStreamsTransport, events, idsOf } from './redis-streams-suite.js';

// The global setup's redis-server tells whether the binary is here; the clusters are this
// file's own.
const url = requireService('redis');

/** The id, client port and bus port of every node, as `CLUSTER NODES` on `admin` lists them. */
async function clusterNodes(admin: Redis) {
  const lines = String(await admin.cluster('NODES'))
    .trim()
    .split('\n');
  return lines.map((line) => {
    const [id, address, flags] = line.split(' ');
    const [, port, busPort] = /:(\d+)@(\d+)/.exec(address!)!;
    return { id: id!, port: Number(port), busPort: Number(busPort), flags: flags! };
  });
}

/** The index in `ports` of the master that serves `key`, asked through `admin`. */
async function ownerOf(admin: Redis, key: string, ports: readonly number[]): Promise<number> {
  const slot = Number(await admin.cluster('KEYSLOT', key));
  const ranges = await admin.cluster('SLOTS');
  const [, , [, port]] = ranges.find(([first, last]) => first <= slot && slot <= last)!;
  return ports.indexOf(port);
}

/** Consumes `transport` in group `g`; returns the set of event ids handled. */
async function collect(transport: RedisStreamsTransport): Promise<Set<string>> {
  const received = new Set<string>();
  await transport.consume(
    async (batch) => {
      for (const id of idsOf(batch)) received.add(id);
    },
    { group: 'g' },
  );
  return received;
}

describe.skipIf(!url)('RedisStreamsTransport on a Redis Cluster of three masters', () => {
  let cluster: RedisCluster | undefined;
  let redis: Cluster;
  /** Plain connections to the nodes, for cluster administration, in the order of `ports`. */
  let admins: Redis[] = [];
  let ports: number[];
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    redis = new Cluster([...cluster.nodes]);
    ports = cluster.nodes.map(({ port }) => port);
    admins = ports.map((port) => new Redis(port, '127.0.0.1'));
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    for (const admin of admins) admin.disconnect();
    await cluster?.stop();
  });

  describeRedisStreamsTransport(
    'RedisStreamsTransport (Cluster)',
    (options) => new Cluster([...cluster!.nodes], { redisOptions: options }),
  );

  it('computes the hash slot of a key as the cluster does', async () => {
    const [node] = admins;
    const keys = ['linkpulse.click.v1', '{linkpulse.click.v1}.dlq', 'a{b}c', 'a{}b{c}'];
    keys.push('{}', '}{x}', 'x{y', 'klïck{ßtream}', '', 't:0f8fe2a1-dd0e-4f15-9c27-5a1f4b0f3c6e');
    for (const key of keys) {
      expect(hashSlot(key), key).toBe(Number(await node!.cluster('KEYSLOT', key)));
    }
  });

  it("puts the default dead-letter stream in the stream's hash slot", async () => {
    const [node] = admins;
    const expected: [stream: string, deadLetterStream: string][] = [
      ['linkpulse.click.v1', '{linkpulse.click.v1}.dlq'],
      ['{clicks}', '{clicks}.dlq'],
      ['app:{clicks}:v1', 'app:{clicks}:v1.dlq'],
      ['x{y', '{x{y}.dlq'],
    ];
    for (const [stream, deadLetterStream] of expected) {
      const transport = new RedisStreamsTransport({ redis, stream });
      expect(transport.deadLetterStream).toBe(deadLetterStream);
      const slots = await Promise.all(
        [stream, deadLetterStream].map(async (key) => Number(await node!.cluster('KEYSLOT', key))),
      );
      expect(slots[0], stream).toBe(slots[1]);
    }
  });

  it('rejects a dead-letter stream outside the hash slot of the stream with a RangeError', () => {
    expect(
      () => new RedisStreamsTransport({ redis, stream: 'clicks', deadLetterStream: 'clicks.dlq' }),
    ).toThrow(
      new RangeError(
        `deadLetterStream "clicks.dlq" (hash slot ${hashSlot('clicks.dlq')}) must share the hash slot of stream "clicks" (${hashSlot('clicks')}) on a Redis Cluster: give both names the same hash tag, such as "{clicks}" and "{clicks}.dlq"`,
      ),
    );
    // A `}` outside a hash tag: no tag can put the default in the slot of the whole name.
    for (const stream of ['a}b', 'a{}b']) {
      expect(() => new RedisStreamsTransport({ redis, stream }), stream).toThrow(RangeError);
    }
    const tagged = new RedisStreamsTransport({
      redis,
      stream: 'clicks',
      deadLetterStream: '{clicks}:dead',
    });
    expect(tagged.deadLetterStream).toBe('{clicks}:dead');
  });

  it("gives each consumer one connection of its own, to the stream's master", async () => {
    const name = `t-${randomUUID().slice(0, 8)}`;
    const named = new Cluster([...cluster!.nodes], { redisOptions: { connectionName: name } });
    const stream = `t:${randomUUID()}`;
    const transport = new RedisStreamsTransport({ redis: named, stream, blockMs: 100 });
    try {
      for (let i = 0; i < 6; i++) await transport.consume(async () => {}, { group: 'g' });
      // Connections of the client and its duplicates: one per node the client talked to
      // (at least the master, for acknowledgements), plus the consumers' own.
      const connections = async () =>
        Promise.all(
          admins.map(async (node) => {
            const list = String(await node.call('CLIENT', 'LIST', 'TYPE', 'normal'));
            return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
          }),
        );
      const owner = await ownerOf(admins[0]!, stream, ports);
      await expect.poll(async () => (await connections())[owner], { timeout: 5_000 }).toBe(1 + 6);
      for (const [i, count] of (await connections()).entries()) {
        if (i !== owner) expect(count, `node ${ports[i]}`).toBeLessThanOrEqual(1);
      }
    } finally {
      await transport.close();
      await named.del(stream);
      named.disconnect();
    }
  });

  it("keeps consuming while the stream's slot moves to another master (MOVED)", async () => {
    const stream = `t:${randomUUID()}`;
    // A long BLOCK, so that a read is waiting on the old master while the slot moves.
    const transport = new RedisStreamsTransport({ redis, stream, blockMs: 2_000 });
    try {
      const received = await collect(transport);
      const slot = Number(await admins[0]!.cluster('KEYSLOT', stream));
      const ids = await Promise.all(admins.map(async (node) => String(await node.cluster('MYID'))));
      const from = await ownerOf(admins[0]!, stream, ports);
      const to = (from + 1) % 3;

      let sent = 0;
      const sending = (async () => {
        while (sent < 60) {
          await transport.send(events(1, `m${sent++}`));
          await sleep(20);
        }
      })();
      await expect.poll(() => received.size, { timeout: 5_000 }).toBeGreaterThan(10);
      await admins[to]!.cluster('SETSLOT', slot, 'IMPORTING', ids[from]!);
      await admins[from]!.cluster('SETSLOT', slot, 'MIGRATING', ids[to]!);
      const keys = (await admins[from]!.cluster('GETKEYSINSLOT', slot, 100)) as string[];
      await admins[from]!.migrate('127.0.0.1', ports[to]!, '', 0, 5_000, 'KEYS', ...keys);
      for (const node of admins) await node.cluster('SETSLOT', slot, 'NODE', ids[to]!);
      await sending;

      await expect.poll(() => received.size, { timeout: 10_000 }).toBe(60);
      expect(await ownerOf(admins[0]!, stream, ports)).toBe(to);
      expect(await admins[to]!.xlen(stream)).toBe(60);
      await expect
        .poll(async () => ((await redis.xpending(stream, 'g')) as [number])[0], { timeout: 5_000 })
        .toBe(0);
    } finally {
      await transport.close();
      await redis.del(stream);
    }
  }, 30_000);

  it("keeps consuming after the stream's master dies and its replica takes over", async () => {
    // A cluster of its own with a replica: the other tests need every master of the shared one.
    const own = await startRedisCluster(3);
    const replica = await startRedis({ clusterBusPort: await freePort() });
    const ownPorts = own.nodes.map(({ port }) => port);
    const ownClient = new Cluster([...own.nodes]);
    const stream = `t:${randomUUID()}`;
    const transport = new RedisStreamsTransport({ redis: ownClient, stream, blockMs: 200 });
    const ownAdmins: Redis[] = [];
    const ownAdmin = (port: number) => {
      const connection = new Redis(port, '127.0.0.1', { retryStrategy: () => null });
      connection.on('error', () => {});
      ownAdmins.push(connection);
      return connection;
    };
    try {
      const first = ownAdmin(ownPorts[0]!);
      const owner = await ownerOf(first, stream, ownPorts);
      const master = (await clusterNodes(first)).find(({ port }) => port === ownPorts[owner])!;
      const standby = ownAdmin(replica.port);
      // Reads of the replica's own data, instead of a MOVED to its master.
      await standby.readonly();
      await standby.call('CLUSTER', 'MEET', '127.0.0.1', master.port, master.busPort);
      await expect
        .poll(async () => (await clusterNodes(standby)).length, { timeout: 10_000 })
        .toBe(4);
      const nodes = [...ownPorts, replica.port].map(ownAdmin);
      for (const node of nodes) {
        // Failures noticed within a second, and the replica's first sync starts at once.
        await node.config('SET', 'cluster-node-timeout', '1000');
        await node.config('SET', 'repl-diskless-sync-delay', '0');
      }
      await standby.cluster('REPLICATE', master.id);
      await expect
        .poll(async () => String(await standby.info('replication')), { timeout: 10_000 })
        .toContain('master_link_status:up');
      // Masters vote for a replica's takeover only once they know it as one.
      for (const node of nodes) {
        await expect
          .poll(
            async () => (await clusterNodes(node)).find(({ port }) => port === replica.port)?.flags,
            { timeout: 10_000 },
          )
          .toMatch(/slave/);
      }

      const received = await collect(transport);
      await transport.send(events(10, 'before'));
      await expect.poll(() => received.size, { timeout: 5_000 }).toBe(10);
      // Replication is asynchronous: what the master had not passed on would be lost.
      await expect.poll(() => standby.xlen(stream), { timeout: 5_000 }).toBe(10);

      await own.servers[owner]!.kill();
      await expect
        .poll(async () => ((await standby.role()) as [string])[0], { timeout: 20_000 })
        .toBe('master');
      await transport.send(events(10, 'after'));
      await expect.poll(() => received.size, { timeout: 10_000 }).toBe(20);
      await expect
        .poll(async () => ((await ownClient.xpending(stream, 'g')) as [number])[0], {
          timeout: 5_000,
        })
        .toBe(0);
    } finally {
      await transport.close();
      ownClient.disconnect();
      for (const connection of ownAdmins) connection.disconnect();
      await replica.stop();
      await own.stop();
    }
  }, 60_000);
});
