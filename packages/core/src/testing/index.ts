/**
 * Contract test suites and helpers every LinkPulse driver runs against its real backend.
 * Needs vitest (an optional peer dependency of `@linkpulse/core`).
 * @module @linkpulse/core/testing
 */

export * from './click-sink-suite.js';
export * from './http-contract-suite.js';
export * from './link-store-suite.js';
export * from './transport-suite.js';
