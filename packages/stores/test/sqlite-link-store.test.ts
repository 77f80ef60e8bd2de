import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Link } from '@linkpulse/core';
import { describeLinkStore } from '@linkpulse/core/testing';
import { migrate, openSqliteDatabase, SqliteLinkStore } from '@linkpulse/stores/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'linkpulse-sqlite-store-'));
let files = 0;
const freshPath = () => join(dir, `links-${++files}.db`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function link(code: string): Link {
  return {
    code,
    url: `https://example.com/${code}`,
    createdAt: new Date(1_700_000_000_123),
    expiresAt: new Date(1_900_000_000_456),
    maxClicks: 3,
    clicksUsed: 0,
    disabled: false,
    redirectStatus: 301,
    tags: ['a'],
  };
}

describeLinkStore(
  'SqliteLinkStore on its own file',
  () => new SqliteLinkStore({ database: freshPath() }),
);

describeLinkStore('SqliteLinkStore on a shared database', () => {
  const db = new Database(':memory:');
  const store = new SqliteLinkStore({ database: db });
  return {
    get: (code) => store.get(code),
    create: (value) => store.create(value),
    update: (code, patch) => store.update(code, patch),
    delete: (code) => store.delete(code),
    list: (options) => store.list(options),
    takeClick: (code) => store.takeClick(code),
    async close() {
      await store.close();
      expect(db.open).toBe(true); // the store leaves a shared database open
      db.close();
    },
  };
});

describe('SqliteLinkStore', () => {
  it('opens its own file in WAL mode and keeps links across reopening', async () => {
    const path = freshPath();
    const first = new SqliteLinkStore({ database: path });
    await first.create(link('keep'));
    expect(await first.takeClick('keep')).toBe(true);
    await first.close();

    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const row = db.prepare('SELECT created_at, expires_at FROM linkpulse_links').get();
    expect(row).toEqual({ created_at: 1_700_000_000_123, expires_at: 1_900_000_000_456 });
    db.close();

    const second = new SqliteLinkStore({ database: path });
    expect(await second.get('keep')).toEqual({ ...link('keep'), clicksUsed: 1 });
    await second.close();
  });

  it('shares one file between two connections without losing a click or a conflict', async () => {
    const path = freshPath();
    const a = new SqliteLinkStore({ database: path });
    const b = new SqliteLinkStore({ database: path });
    await a.create(link('shared'));
    await expect(b.create(link('shared'))).rejects.toMatchObject({ code: 'code_taken' });
    const takes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).takeClick('shared')),
    );
    expect(takes.filter(Boolean)).toHaveLength(3);
    expect((await b.get('shared'))?.clicksUsed).toBe(3);
    await a.close();
    await b.close();
  });

  it('keeps its tables beside other components in one file', async () => {
    const db = openSqliteDatabase(freshPath());
    migrate(db, 'other', ['CREATE TABLE other_things (id INTEGER PRIMARY KEY)']);
    const store = new SqliteLinkStore({ database: db });
    await store.create(link('side'));
    await store.close();
    const versions = db
      .prepare('SELECT name, version FROM linkpulse_migrations ORDER BY name')
      .all();
    expect(versions).toEqual([
      { name: 'links', version: 1 },
      { name: 'other', version: 1 },
    ]);
    // A second store on the same file migrates nothing and sees the data.
    const again = new SqliteLinkStore({ database: db });
    expect((await again.get('side'))?.code).toBe('side');
    db.close();
  });
});

describe('migrate', () => {
  it('runs each step once, in order, and only the new ones later', () => {
    const db = new Database(':memory:');
    const ran: string[] = [];
    const steps = [
      (d: Database.Database) => {
        ran.push('one');
        d.exec('CREATE TABLE t (a INTEGER)');
      },
      'ALTER TABLE t ADD COLUMN b INTEGER',
    ];
    expect(migrate(db, 'demo', steps)).toBe(2);
    expect(migrate(db, 'demo', steps)).toBe(2);
    expect(ran).toEqual(['one']);
    const more = [...steps, 'INSERT INTO t (a, b) VALUES (1, 2)'];
    expect(migrate(db, 'demo', more)).toBe(3);
    expect(migrate(db, 'demo', more)).toBe(3);
    expect(ran).toEqual(['one']);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    db.close();
  });

  it('keeps components apart', () => {
    const db = new Database(':memory:');
    migrate(db, 'first', ['CREATE TABLE first_t (a)', 'CREATE TABLE first_u (a)']);
    expect(migrate(db, 'second', ['CREATE TABLE second_t (a)'])).toBe(1);
    expect(
      db.prepare("SELECT version FROM linkpulse_migrations WHERE name = 'first'").get(),
    ).toEqual({
      version: 2,
    });
    db.close();
  });

  it('rolls a failing migration back completely', () => {
    const db = new Database(':memory:');
    const steps = ['CREATE TABLE good (a)', 'THIS IS NOT SQL'];
    expect(() => migrate(db, 'broken', steps)).toThrow();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'good'").all();
    expect(tables).toEqual([]);
    expect(migrate(db, 'broken', ['CREATE TABLE good (a)'])).toBe(1);
    db.close();
  });

  it('refuses a schema newer than the steps it knows', () => {
    const db = new Database(':memory:');
    migrate(db, 'future', ['CREATE TABLE f1 (a)', 'CREATE TABLE f2 (a)']);
    expect(() => migrate(db, 'future', ['CREATE TABLE f1 (a)'])).toThrow(/newer/);
    db.close();
  });
});
