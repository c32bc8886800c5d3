import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspacePaths, type WorkspacePaths } from '../core/workspace';
import { acquireLock, releaseLock } from '../core/lock';
import { afterSync, recordSync, registerWatcher, syncSummary, unregisterWatcher, watchedServices, watchVerdict, withWatcher } from './session';
import { liveRecordLockPath, markLiveLeft, readLiveRecord, writeLiveRecord, type LiveRecord } from './state';
import type { SyncOutcome } from './sync';

const container = { id: 'c0ffee0000000000', image: 'local-dev/api:abc' };
const record: LiveRecord = {
  service: 'api',
  container: container.id,
  image: container.image,
  files: 3,
  lastAt: '2026-12-06T10:00:00.000Z',
  lastSummary: 'synced 3 files in 90 ms',
};
const outcome = (partial: Partial<SyncOutcome>): SyncOutcome => ({ files: 0, folders: 0, deleted: 0, skipped: [], ...partial });

describe('the live record kept by dev', () => {
  it('a watcher joins the record of its container (files kept) and undoes a left live mode; another container starts afresh', () => {
    const watcher = { pid: 42, startTime: '7' };
    expect(withWatcher({ ...record, leftAt: '2026-12-06T11:00:00.000Z' }, 'api', container, watcher)).toEqual({ ...record, watcher });
    expect(withWatcher(record, 'api', { id: 'beef', image: 'local-dev/api:def' }, watcher)).toEqual({
      service: 'api',
      container: 'beef',
      image: 'local-dev/api:def',
      files: 0,
      lastAt: '',
      lastSummary: '',
      watcher,
    });
  });

  it('a sync adds its paths to the record of the container that received them; a new container counts from zero', () => {
    const at = new Date('2026-12-06T12:00:00.000Z');
    expect(afterSync(record, 'api', { id: container.id.slice(0, 12), image: 'x' }, 2, 'synced 2 files', at)).toMatchObject({
      container: container.id,
      image: container.image,
      files: 5,
      lastAt: at.toISOString(),
      lastSummary: 'synced 2 files',
    });
    expect(afterSync({ ...record, watcher: { pid: 1, startTime: '' } }, 'api', { id: 'beef', image: 'new' }, 2, 's', at)).toMatchObject({
      container: 'beef',
      image: 'new',
      files: 2,
      watcher: { pid: 1, startTime: '' },
    });
    expect(afterSync(undefined, 'api', container, 1, 's', at)).toEqual({
      service: 'api',
      container: container.id,
      image: container.image,
      files: 1,
      lastAt: at.toISOString(),
      lastSummary: 's',
    });
  });

  it('syncs for a service only while a live dev process watches it and it has not left live mode', () => {
    const watched = { ...record, watcher: { pid: 1, startTime: '' } };
    expect(watchVerdict(watched, true)).toBe('watched');
    expect(watchVerdict(watched, false)).toBe('not watched');
    expect(watchVerdict(record, true)).toBe('not watched');
    expect(watchVerdict(undefined, false)).toBe('not watched');
    expect(watchVerdict({ ...watched, leftAt: '2026-12-06T11:00:00.000Z' }, true)).toBe('left');
  });

  describe('on disk', () => {
    let paths: WorkspacePaths;
    beforeEach(() => {
      paths = workspacePaths(mkdtempSync(path.join(tmpdir(), 'live-session-')));
    });
    afterEach(() => rmSync(paths.root, { recursive: true, force: true }));

    it("two writers of one record never overwrite each other: a sync recorded while the dashboard's Rebuild writes leftAt keeps both", async () => {
      await registerWatcher(paths, 'api', container);
      // The dashboard's writer, mid-way: it holds the record's lock and has read the record.
      const lock = await acquireLock(liveRecordLockPath(paths, 'api'), {
        subject: 'the live record of api',
        purpose: 'test: the dashboard writing leftAt',
        log: () => undefined,
        timeoutError: (message) => new Error(message),
      });
      const seen = readLiveRecord(paths, 'api');
      const sync = recordSync(paths, 'api', container, 2, 'synced 2 files in 90 ms; the app reloads itself');
      await new Promise((resolve) => setTimeout(resolve, 100));
      writeLiveRecord(paths, { ...seen!, leftAt: '2026-12-06T11:00:00.000Z' });
      releaseLock(lock);
      await sync;
      expect(readLiveRecord(paths, 'api')).toMatchObject({
        files: 2,
        leftAt: '2026-12-06T11:00:00.000Z',
        lastSummary: 'synced 2 files in 90 ms; the app reloads itself',
      });
      // And the other way round: markLiveLeft, through the same lock, keeps the syncs recorded.
      await Promise.all([recordSync(paths, 'api', container, 1, 's'), markLiveLeft(paths, 'api', new Date('2026-12-06T12:00:00.000Z'))]);
      expect(readLiveRecord(paths, 'api')).toMatchObject({ files: 3, leftAt: '2026-12-06T12:00:00.000Z' });
    });

    it('registers this process as the watcher and takes it out again, keeping the synced files counted', async () => {
      await registerWatcher(paths, 'api', container);
      expect(watchedServices(paths, ['api', 'api-worker'])).toEqual(
        new Map([
          ['api', 'watched'],
          ['api-worker', 'not watched'],
        ]),
      );
      await unregisterWatcher(paths, 'api');
      expect(readLiveRecord(paths, 'api')).toEqual({ service: 'api', container: container.id, image: container.image, files: 0, lastAt: '', lastSummary: '' });
      expect(watchedServices(paths, ['api']).get('api')).toBe('not watched');
    });
  });
});

describe('the line of a sync', () => {
  it('says what was synced, how long it took and what followed', () => {
    expect(syncSummary(outcome({ files: 2 }), 140, { restarted: true, healthyMs: 600 })).toBe('synced 2 files in 140 ms; restarted (healthy in 600 ms)');
    expect(syncSummary(outcome({ files: 1 }), 90, { restarted: false })).toBe('synced 1 file in 90 ms; the app reloads itself');
    expect(syncSummary(outcome({ files: 1000, folders: 1 }), 1450, { restarted: true, healthyMs: 1230 })).toBe(
      'synced 1000 files and 1 folder in 1.4 s; restarted (healthy in 1.2 s)',
    );
    expect(syncSummary(outcome({ files: 2, deleted: 2 }), 80, { restarted: false })).toBe('synced 2 files and 2 deleted in 80 ms; the app reloads itself');
    expect(syncSummary(outcome({ deleted: 1 }), 30, { restarted: false })).toBe('deleted 1 path in 30 ms; the app reloads itself');
    expect(syncSummary(outcome({ files: 1, skipped: [{ source: 'app/link', why: 'a symbolic link (never followed)' }] }), 50, { restarted: false })).toBe(
      'synced 1 file in 50 ms; the app reloads itself; not synced: app/link (a symbolic link (never followed))',
    );
  });
});
