/**
 * The retention decision of a policy: restic's keep rules per resource, plus
 * expiration; never MANUAL or keep-forever backups. Table-driven over
 * hand-made backup lists with known answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { addDuration, backupsToDelete, expiredBackups, expiresAtFor, toForgetPolicy, type RetentionCandidate } from '../../src/jobs/retention.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;

function b(id: string, hoursAgo: number, extra: Partial<RetentionCandidate> = {}): RetentionCandidate {
  return { id, resourceId: 'r1', timeRequested: new Date(NOW - hoursAgo * HOUR).toISOString(), expiresAt: null, keepForever: false, source: 'SCHEDULED', ...extra };
}

describe('expiredBackups (a policy\'s copies)', () => {
  it('takes only what is past its expiration and not kept forever, whatever its source, oldest first', () => {
    const past = new Date(NOW - 1000).toISOString();
    const future = new Date(NOW + HOUR).toISOString();
    const list = [
      b('new-expired', 1, { source: 'MANUAL', expiresAt: past }), b('old-expired', 5, { source: 'MANUAL', expiresAt: past }),
      b('not-yet', 2, { source: 'MANUAL', expiresAt: future }), b('never', 3, { source: 'MANUAL' }),
      b('forever', 4, { source: 'MANUAL', expiresAt: past, keepForever: true }),
    ];
    assert.deepEqual(expiredBackups(list, NOW), ['old-expired', 'new-expired']);
  });
});

describe('backupsToDelete', () => {
  it('keeps the last N per resource and deletes the rest, oldest first', () => {
    const list = [b('a', 1), b('b', 2), b('c', 3), b('d', 4), b('x', 1, { resourceId: 'r2' }), b('y', 5, { resourceId: 'r2' })];
    assert.deepEqual(backupsToDelete(list, { keepLast: 2 }, NOW), ['d', 'c']);
    assert.deepEqual(backupsToDelete(list, { keepLast: 1 }, NOW), ['y', 'd', 'c', 'b']);
  });

  it('keeps one per day for keepDaily, the newest of each day', () => {
    // Three days, two backups each (UTC days 10, 9, 8 March).
    const list = [b('d10a', 1), b('d10b', 3), b('d9a', 13), b('d9b', 20), b('d8a', 37), b('d8b', 40)];
    assert.deepEqual(backupsToDelete(list, { keepDaily: 2 }, NOW), ['d8b', 'd8a', 'd9b', 'd10b']);
    assert.deepEqual(backupsToDelete(list, { keepDaily: -1 }, NOW), ['d8b', 'd9b', 'd10b']);
  });

  it('combines rules as restic does: a backup kept by any rule stays', () => {
    const list = [b('a', 1), b('b', 30), b('c', 24 * 8), b('d', 24 * 40)];
    // Monthly buckets: a, b, c are March (a counts), d is January.
    assert.deepEqual(backupsToDelete(list, { keepLast: 1, keepMonthly: 2 }, NOW), ['c', 'b']);
    assert.deepEqual(backupsToDelete(list, { keepWithin: '2d' }, NOW), ['d', 'c']);
  });

  it('deletes expired backups even when a keep rule would keep them', () => {
    const list = [b('a', 1), b('b', 2, { expiresAt: new Date(NOW - 1).toISOString() }), b('c', 3, { expiresAt: new Date(NOW + HOUR).toISOString() })];
    assert.deepEqual(backupsToDelete(list, { keepLast: 10 }, NOW), ['b']);
    assert.deepEqual(backupsToDelete(list, {}, NOW), ['b'], 'no keep rule: only expiration deletes');
  });

  it('never deletes MANUAL or keep-forever backups, and does not count them', () => {
    const list = [b('m', 1, { source: 'MANUAL' }), b('f', 2, { keepForever: true, expiresAt: new Date(NOW - HOUR).toISOString() }), b('s1', 3), b('s2', 4)];
    assert.deepEqual(backupsToDelete(list, { keepLast: 1 }, NOW), ['s2']);
    assert.deepEqual(backupsToDelete([b('m', 1, { source: 'MANUAL', expiresAt: new Date(NOW - HOUR).toISOString() })], { keepLast: 0 }, NOW), []);
  });

  it('rejects bad rules with the rule named', () => {
    assert.throws(() => toForgetPolicy({ keepLast: -2 }), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && /keepLast/.test(e.message));
    assert.throws(() => toForgetPolicy({ keepWithin: '3w' }), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && /keepWithin/.test(e.message));
    assert.throws(() => toForgetPolicy({ expireAfter: '0d' }), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && /expireAfter/.test(e.message));
  });
});

describe('expiration', () => {
  it('adds calendar durations in UTC', () => {
    assert.equal(expiresAtFor({ expireAfter: '30d' }, NOW), '2026-04-09T12:00:00.000Z');
    assert.equal(expiresAtFor({ expireAfter: '1m2h' }, NOW), '2026-04-10T14:00:00.000Z');
    assert.equal(expiresAtFor({ expireAfter: '1y' }, Date.parse('2024-02-29T00:00:00Z')), '2025-03-01T00:00:00.000Z');
    assert.equal(expiresAtFor({ keepLast: 3 }, NOW), undefined);
    assert.equal(addDuration(0, { years: 0, months: 0, days: 1, hours: 1 }), 25 * HOUR);
  });
});
