/**
 * Redis counter sink of LinkPulse: near-real-time click counters (hourly buckets,
 * HyperLogLog unique visitors, top dimensions) written per batch in one Lua call, and the
 * stats reader over them, on an ioredis client.
 * @module @linkpulse/sinks/redis
 */

export * from './redis-counter-sink.js';
