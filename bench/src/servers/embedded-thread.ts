/**
 * The analytics thread of `createEmbedded`, as an entry point of the bench's bundle (a
 * bundled `createEmbedded` cannot find its thread module beside itself).
 */
import '@linkpulse/embedded/analytics-thread';
