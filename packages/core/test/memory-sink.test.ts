import { MemorySink } from '@linkpulse/core';
import { describeClickSink } from '@linkpulse/core/testing';

describeClickSink('MemorySink', async () => {
  const sink = new MemorySink();
  return { sink, reader: sink };
});
