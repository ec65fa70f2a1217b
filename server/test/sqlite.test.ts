// @vitest-environment node
// The SQLite store's own promises: what it wrote is there after the store is closed and opened again (a restart),
// a number held before is not handed out after, the schema is migrated forward and never backward, and a backup
// is a consistent copy taken while the store writes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { createPool, type LeaseRequest } from '../src/pool';
import { backupSqlite, DB_FILE, MIGRATIONS, openDatabase, openSqliteStore } from '../src/store/sqlite';
import { MAIN, OTHER, S, source, testConfig } from './fixtures';

const Database = createRequire(import.meta.url)('libsql');
const dataDir = () => mkdtempSync(join(tmpdir(), 'callswap-sqlite-'));
const visit = (channel: string, visitor = 'visitor-1234'): LeaseRequest => ({ site: 'demo', visitor, targets: [MAIN, OTHER], source: source(channel), page: '/' });

describe('SQLite store across a restart', () => {
  test('leases, sessions, calls, counters and numbers at rest are all there after closing and opening again', async () => {
    const dir = dataDir();
    let t = Date.UTC(2026, 5, 1, 12);
    const config = testConfig({ quarantine: 300 });
    let store = openSqliteStore(dir, { now: () => t });
    let pool = createPool(config, store);
    await pool.sync();
    const first = await pool.lease(visit('paid_search'), '203.0.113.5');
    if (!('lease' in first)) throw new Error('no lease');
    const held = first.lease.numbers[MAIN];
    const call = await pool.recordCall({ to: held, from: '+447700900123', at: t + 10 * S, ref: 'CA1', status: 'ringing' });
    await store.updateCall('CA1', { status: 'completed', duration: 95 });
    const salt = await store.salt();
    await store.close();

    // A restart: the same file, a new process's store and pool.
    t += 60 * S;
    store = openSqliteStore(dir, { now: () => t });
    pool = createPool(config, store);
    await pool.sync();
    expect(await store.salt()).toBe(salt);
    expect((await store.getSession(first.lease.session))?.numbers[MAIN]).toBe(held);
    expect(await store.findCall('CA1')).toEqual({ ...call, status: 'completed', duration: 95 });
    expect((await pool.stats('demo'))!.sessions).toEqual({ paid_search: 1 });
    expect((await pool.stats('demo'))!.calls).toEqual({ paid_search: 1 });
    // The number held before the restart is still held: the next paid visitor gets the other one.
    const second = await pool.lease(visit('paid_search', 'visitor-5678'), '203.0.113.6');
    if (!('lease' in second)) throw new Error('no lease');
    expect(second.lease.numbers[MAIN]).not.toBe(held);
    expect(await pool.heartbeat(first.lease.session)).toMatchObject({ site: 'demo' });
    // A call to it now still goes to the first visit.
    expect((await pool.recordCall({ to: held, at: t })).session).toBe(first.lease.session);
    await store.close();
  });

  test('writes of one turn commit together, and none is answered before its commit', async () => {
    const dir = dataDir();
    const store = openSqliteStore(dir);
    await store.syncPools(new Map([['demo:+1:default', ['+442079460141']]]));
    const reader = new Database(join(dir, DB_FILE), { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM calls').get([]) as { n: number }).n;
    const writes = Array.from({ length: 50 }, (_, i) => store.addCall({ id: `c${i}`, to: '+442079460141', at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
    // Not committed yet: another connection sees none of them.
    expect(count()).toBe(0);
    await Promise.all(writes);
    expect(count()).toBe(50);
    reader.close();
    await store.close();
  });
});

describe('SQLite schema versions', () => {
  test('a file of every older version is migrated at start and keeps its data; a new file ends at the current version', async () => {
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    for (let version = 1; version < MIGRATIONS.length; version++) {
      const dir = dataDir();
      const db = new Database(join(dir, DB_FILE));
      for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${version}`);
      // Written by the server of that version: a call.
      db.prepare('INSERT INTO calls (id, at, site, ref, data) VALUES (?, ?, ?, ?, ?)').run(['old-call', 1, 'demo', 'CA-old', JSON.stringify({ id: 'old-call', to: '+442079460101', at: new Date(1).toISOString(), site: 'demo' })]);
      db.close();
      const store = openSqliteStore(dir);
      expect(await store.findCall('CA-old')).toMatchObject({ id: 'old-call', site: 'demo' });
      // What the newer versions added works.
      await store.remember('demo', 'id-after-migration', source('paid_search'), Date.now() + 60_000);
      expect((await store.recall('demo', 'id-after-migration'))?.channel).toBe('paid_search');
      await store.close();
      const after = new Database(join(dir, DB_FILE));
      expect((after.prepare('PRAGMA user_version').get([]) as { user_version: number }).user_version).toBe(MIGRATIONS.length);
      after.close();
    }
    const dir = dataDir();
    openDatabase(dir).close();
    const db = new Database(join(dir, DB_FILE));
    expect((db.prepare('PRAGMA user_version').get([]) as { user_version: number }).user_version).toBe(MIGRATIONS.length);
    db.close();
  });

  test('a file of a newer version is refused with one line, and left as it is', () => {
    const dir = dataDir();
    const db = new Database(join(dir, DB_FILE));
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore(dir)).toThrow(new RegExp(`callswap\\.db is of schema version ${MIGRATIONS.length + 1}, newer than this server's \\(${MIGRATIONS.length}\\)`));
    const after = new Database(join(dir, DB_FILE));
    expect((after.prepare('PRAGMA user_version').get([]) as { user_version: number }).user_version).toBe(MIGRATIONS.length + 1);
    after.close();
  });

  test('a file that is not a database is named, and the handle opened on it is closed at once', () => {
    const dir = dataDir();
    writeFileSync(join(dir, DB_FILE), 'not a database, not at all '.repeat(100));
    const closed = vi.spyOn(Database.prototype, 'close');
    expect(() => openSqliteStore(dir)).toThrow(/callswap\.db/);
    expect(closed).toHaveBeenCalledTimes(1);
    closed.mockRestore();
  });
});

describe('SQLite backup', () => {
  test('a copy taken while the store writes holds every call committed before it, and opens as a database', async () => {
    const dir = dataDir();
    const store = openSqliteStore(dir);
    for (let i = 0; i < 200; i++) await store.addCall({ id: `a${i}`, to: '+442079460141', at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() });
    // Writes go on while the copy is taken.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await store.addCall({ id: `b${written++}`, to: '+442079460141', at: new Date().toISOString() });
    })();
    await new Promise((r) => setTimeout(r, 20));
    const target = join(dataDir(), 'backup.db');
    const { calls } = backupSqlite(dir, target);
    writing = false;
    await writer;
    expect(calls).toBeGreaterThanOrEqual(200);
    expect(calls).toBeLessThanOrEqual(200 + written);
    // The copy is a store of its own.
    const copyDir = dataDir();
    const { renameSync } = await import('node:fs');
    renameSync(target, join(copyDir, DB_FILE));
    const copy = openSqliteStore(copyDir);
    expect((await copy.listCalls({ limit: 100_000 })).length).toBe(calls);
    await copy.close();
    await store.close();
  });

  test('a data directory without a database is named', () => {
    expect(() => backupSqlite(join(tmpdir(), 'callswap-nothing-here'), join(tmpdir(), 'x.db'))).toThrow(/does not exist: is DATA_DIR the server's\?/);
  });
});
