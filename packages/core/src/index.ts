/**
 * Short links with click analytics: links, codes, resolver, click emitter, worker, stats.
 * @module @linkpulse/core
 */

export * from './analytics.js';
export * from './clicks/click-event.js';
export * from './clicks/decode.js';
export { MAX_HEADER_LENGTH } from './clicks/shared-header.js';
export * from './clicks/to-click-event.js';
export * from './clicks/ulid.js';
export * from './clicks/utm.js';
export * from './clicks/visitor.js';
export * from './codes/base62.js';
export * from './codes/code-generator.js';
export * from './codes/feistel.js';
export * from './codes/memory-block-allocator.js';
export * from './codes/random-code-generator.js';
export * from './codes/sequence-code-generator.js';
export * from './emitter/click-emitter.js';
export * from './errors.js';
export * from './links/alias.js';
export * from './links/link.js';
export * from './links/link-fields.js';
export * from './links/patch.js';
export * from './links/url.js';
export * from './resolver/invalidation.js';
export * from './resolver/resolver.js';
export * from './shortener.js';
export * from './shortener-types.js';
export * from './sinks/click-sink.js';
export * from './sinks/memory-sink.js';
export * from './sinks/stats.js';
export * from './sinks/stats-builder.js';
export * from './store/link-store.js';
export * from './store/list-limit.js';
export * from './store/memory-link-store.js';
export * from './store/unavailable-on-failure.js';
export * from './thread/analytics-thread.js';
export * from './thread/threaded-analytics.js';
export * from './transport/memory-transport.js';
export * from './transport/record.js';
export * from './transport/transport.js';
export * from './worker/click-worker.js';
export * from './worker/enricher.js';
export * from './worker/geo.js';
export * from './worker/retry.js';
