import type { BlockAllocator } from '@linkpulse/core';
import { expect } from 'vitest';

/**
 * Allocates `count` blocks of 1 to 7 codes at once, taking turns between `allocators`
 * (which share one counter), and checks that the blocks tile `[0, total)` with neither
 * gaps nor overlaps.
 */
export async function expectDisjointBlocks(
  allocators: readonly BlockAllocator[],
  count: number,
): Promise<void> {
  const blocks = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      allocators[i % allocators.length]!.allocate(1 + (i % 7)),
    ),
  );
  blocks.sort((a, b) => a.start - b.start);
  expect(blocks[0]!.start).toBe(0);
  for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.start).toBe(blocks[i - 1]!.end);
  const total = blocks.reduce((sum, block) => sum + (block.end - block.start), 0);
  expect(blocks.at(-1)!.end).toBe(total);
}
