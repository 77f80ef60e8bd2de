/**
 * Short links with click analytics: links, codes, resolver, click emitter, worker, stats.
 * @module @linkpulse/core
 */

export * from './clicks/click-event.js';
export * from './codes/code-generator.js';
export * from './errors.js';
export * from './links/link.js';
export * from './sinks/click-sink.js';
export * from './sinks/stats.js';
export * from './store/link-store.js';
export * from './transport/transport.js';
export * from './shortener-types.js';
export * from './links/link-fields.js';
export * from './analytics.js';
export * from './shortener.js';
