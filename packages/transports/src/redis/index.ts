/**
 * Redis Streams transport of LinkPulse: pipelined XADD with an approximate MAXLEN cap,
 * consumer groups with XREADGROUP, acknowledgement after the handler, XAUTOCLAIM of
 * entries left by dead members and a dead-letter stream, on an ioredis `Redis` or `Cluster`
 * client.
 * @module @linkpulse/transports/redis
 */

export * from './redis-streams-transport.js';
