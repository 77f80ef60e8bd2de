import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IdBlock, SequenceCodeGenerator } from '@linkpulse/core';
import { SqliteBlockAllocator } from '@linkpulse/stores/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'linkpulse-sqlite-blocks-'));
let files = 0;
const freshPath = () => join(dir, `blocks-${++files}.db`);
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const childScript = fileURLToPath(new URL('./fixtures/allocate-blocks.ts', import.meta.url));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs fixtures/allocate-blocks.ts in a separate Node process. */
function startChild(path: string, count: number, size: number) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@linkpulse/source',
      '--import',
      'tsx',
      childScript,
      path,
      String(count),
      String(size),
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let stdout = '';
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) signalReady();
  });
  const blocks = new Promise<IdBlock[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`allocator child exited with ${code}`));
      else resolve(JSON.parse(stdout.slice('ready\n'.length)) as IdBlock[]);
    });
  });
  return { ready, blocks, go: () => child.stdin.write('go\n') };
}

/** Asserts the blocks are pairwise disjoint and together cover [0, total). */
function expectTiling(blocks: IdBlock[], total: number): void {
  const sorted = [...blocks].sort((x, y) => x.start - y.start);
  let next = 0;
  const misplaced: IdBlock[] = [];
  for (const block of sorted) {
    if (block.start !== next) misplaced.push(block);
    next = block.end;
  }
  expect(misplaced).toEqual([]);
  expect(next).toBe(total);
}

describe('SqliteBlockAllocator', () => {
  it('hands out consecutive blocks from 0 and continues after reopening', async () => {
    const path = freshPath();
    const allocator = new SqliteBlockAllocator({ database: path });
    expect(await allocator.allocate(100)).toEqual({ start: 0, end: 100 });
    expect(await allocator.allocate(1)).toEqual({ start: 100, end: 101 });
    await expect(allocator.allocate(0)).rejects.toThrow(RangeError);
    await allocator.close();
    const reopened = new SqliteBlockAllocator({ database: path });
    expect(await reopened.allocate(10)).toEqual({ start: 101, end: 111 });
    await reopened.close();
  });

  it('counts separate names independently', async () => {
    const db = new Database(':memory:');
    const a = new SqliteBlockAllocator({ database: db, name: 'a' });
    const b = new SqliteBlockAllocator({ database: db, name: 'b' });
    expect(await a.allocate(5)).toEqual({ start: 0, end: 5 });
    expect(await b.allocate(5)).toEqual({ start: 0, end: 5 });
    expect(await a.allocate(5)).toEqual({ start: 5, end: 10 });
    await a.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('never overlaps between two allocators on the same file', async () => {
    const path = freshPath();
    const first = new SqliteBlockAllocator({ database: path });
    const second = new SqliteBlockAllocator({ database: path });
    const requests: Promise<IdBlock>[] = [];
    for (let i = 0; i < 200; i++) requests.push((i % 3 === 0 ? first : second).allocate(7));
    expectTiling(await Promise.all(requests), 1400);
    await first.close();
    await second.close();
  });

  it('never overlaps between processes racing on the same file', async () => {
    const path = freshPath();
    await new SqliteBlockAllocator({ database: path }).close(); // create the schema up front
    const children = [0, 1].map(() => startChild(path, 2_000, 10));
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const results = await Promise.all(children.map((child) => child.blocks));
    expectTiling(results.flat(), 40_000);
  });

  it('feeds a SequenceCodeGenerator whose codes stay unique across generators', async () => {
    const path = freshPath();
    const allocators = [0, 1].map(() => new SqliteBlockAllocator({ database: path }));
    const generators = allocators.map(
      (allocator) => new SequenceCodeGenerator({ allocator, secret: 'shared', blockSize: 50 }),
    );
    const codes = new Set<string>();
    for (let i = 0; i < 1_000; i++) codes.add(await generators[i % 2]!.next());
    expect(codes.size).toBe(1_000);
    for (const generator of generators) await generator.close();
    for (const allocator of allocators) await allocator.close();
  });
});
