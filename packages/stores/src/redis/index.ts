/**
 * Redis drivers of LinkPulse: a link store, a block allocator for sequence codes and a
 * cross-node cache invalidation bus, all on an ioredis client.
 * @module @linkpulse/stores/redis
 */

export * from './client.js';
export * from './redis-block-allocator.js';
export * from './redis-invalidation-bus.js';
export * from './redis-link-store.js';
