import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveExecutionRecordSettings } from '../src/execution-record.js';
import { acquireLease, deleteLeases } from '../src/lease.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

let sf: Awaited<ReturnType<typeof startSalesforceEmulator>>;
let connection: Connection;
const settings = resolveExecutionRecordSettings();
const logger = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  sf = await startSalesforceEmulator({ integrationObjects: true });
  connection = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
});
afterAll(async () => {
  await sf?.stop();
});

/** A clock the test moves: the lease's view of time, apart from the org's. */
function manualClock(start = Date.parse('2026-12-05T12:00:00Z')) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('run lease', () => {
  it('one taker of a free lease; a second one sees it held until it expires', async () => {
    const clock = manualClock();
    const first = await acquireLease(connection, settings, 'run-a', { leaseMs: 60_000, logger, now: clock.now });
    const second = await acquireLease(connection, settings, 'run-a', { leaseMs: 60_000, logger, now: clock.now });
    expect(first.acquired).toBe(true);
    expect(second).toMatchObject({ acquired: false, generation: 1 });
    if (first.acquired) first.lease.stop();
  });

  it('a holder whose lease lapsed never renews it, so it cannot run beside the invocation that took over', async () => {
    const holderClock = manualClock();
    const taken = await acquireLease(connection, settings, 'run-b', {
      leaseMs: 60_000,
      logger,
      now: holderClock.now,
    });
    if (!taken.acquired) throw new Error('expected the lease');
    const holder = taken.lease;
    holder.stop(); // the heartbeat is driven by hand here
    expect(holder.held()).toBe(true);

    // The holder freezes past its expiry; meanwhile another delivery takes generation 2.
    holderClock.advance(61_000);
    const takerClock = manualClock(holderClock.now());
    const takeover = await acquireLease(connection, settings, 'run-b', {
      leaseMs: 60_000,
      logger,
      now: takerClock.now,
    });
    expect(takeover).toMatchObject({ acquired: true });
    if (takeover.acquired) {
      expect(takeover.lease.generation).toBe(2);
      takeover.lease.stop();
    }

    // The holder wakes up: its renewal is refused and it stays not held, whatever happens next.
    await expect(holder.renew()).rejects.toThrow(/lapsed/);
    expect(holder.held()).toBe(false);
    await holder.renew(); // a later heartbeat is a no-op, never a silent revival
    expect(holder.held()).toBe(false);
    const name = (
      await connection.query<{ Name: string }>(
        `SELECT Name FROM ${settings.object} WHERE ${settings.idempotencyKeyField} = 'run-b:lease:1'`,
      )
    ).records[0]?.Name;
    expect(name).toBe(`lease 1 until ${new Date(Date.parse('2026-12-05T12:00:00Z') + 60_000).toISOString()}`);
  });

  it('a renewal that lands after the margin is not trusted', async () => {
    const clock = manualClock();
    const taken = await acquireLease(connection, settings, 'run-c', { leaseMs: 20_000, logger, now: clock.now });
    if (!taken.acquired) throw new Error('expected the lease');
    taken.lease.stop();
    // The renewal request goes out while held, and its answer comes back after expiry - margin.
    const original = connection.sobject(settings.object);
    const slowUpdate = original.update.bind(original);
    const sobject = connection.sobject.bind(connection);
    const patched = Object.assign(Object.create(Object.getPrototypeOf(original)), original, {
      update: async (...args: Parameters<typeof slowUpdate>) => {
        const result = await slowUpdate(...args);
        clock.advance(20_000);
        return result;
      },
    });
    connection.sobject = ((type: string) =>
      type === settings.object ? patched : sobject(type)) as typeof connection.sobject;
    try {
      await expect(taken.lease.renew()).rejects.toThrow(/too late/);
    } finally {
      connection.sobject = sobject;
    }
    expect(taken.lease.held()).toBe(false);
  });

  it('a renewal the record store keeps refusing stops sending at once; the lease still lasts for the park', async () => {
    const clock = manualClock();
    const taken = await acquireLease(connection, settings, 'run-d', { leaseMs: 30_000, logger, now: clock.now });
    if (!taken.acquired) throw new Error('expected the lease');
    const lease = taken.lease;
    lease.stop(); // the heartbeat is driven by hand here
    const restore = refuseUpdates();
    try {
      await expect(lease.renew()).rejects.toThrow(/Could not renew lease 1/);
    } finally {
      restore();
    }
    expect(lease.canSend()).toBe(false);
    expect(lease.stopReason).toMatch(/could not be renewed/);
    expect(lease.held()).toBe(true); // no one can take it yet: the holder may still write its parked state
    // A later renewal that gets through keeps the lease for the park, but sending stays stopped.
    await lease.renew();
    expect(lease.held()).toBe(true);
    expect(lease.canSend()).toBe(false);
  });

  it('a holder whose run another delivery took over (a later generation exists) stops at its next renewal', async () => {
    const clock = manualClock();
    const taken = await acquireLease(connection, settings, 'run-e', { leaseMs: 30_000, logger, now: clock.now });
    if (!taken.acquired) throw new Error('expected the lease');
    const lease = taken.lease;
    lease.stop();
    await lease.renew();
    expect(lease.canSend()).toBe(true);
    // A taker whose clock runs ahead judged generation 1 over and inserted generation 2.
    await connection.sobject(settings.object).create({
      Name: `lease 2 until ${new Date(clock.now() + 60_000).toISOString()}`,
      [settings.idempotencyKeyField]: 'run-e:lease:2',
    });
    await expect(lease.renew()).rejects.toThrow(/generation 2 took the run over/);
    expect(lease.held()).toBe(false);
    expect(lease.canSend()).toBe(false);
  });

  it('a lease left without its renewals is waited for and taken over; a renewed one answers held', async () => {
    const clock = manualClock();
    const taken = await acquireLease(connection, settings, 'run-g', { leaseMs: 30_000, logger, now: clock.now });
    if (!taken.acquired) throw new Error('expected the lease');
    taken.lease.stop(); // its holder dies: no renewal from now on
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock.advance(ms);
    };
    // 20 s later a live holder would have renewed twice (every 10 s): 25-30 s would be left, not 10.
    clock.advance(20_000);
    const takeover = await acquireLease(connection, settings, 'run-g', {
      leaseMs: 30_000,
      logger,
      now: clock.now,
      sleep,
    });
    expect(waits).toEqual([10_050]);
    expect(takeover).toMatchObject({ acquired: true });
    if (takeover.acquired) {
      expect(takeover.lease.generation).toBe(2);
      takeover.lease.stop();
    }

    // A lease with more than a third of it left is not waited for: the answer is "held" at once.
    const fresh = await acquireLease(connection, settings, 'run-h', { leaseMs: 30_000, logger, now: clock.now });
    if (!fresh.acquired) throw new Error('expected the lease');
    fresh.lease.stop();
    clock.advance(15_000);
    waits.length = 0;
    const busy = await acquireLease(connection, settings, 'run-h', { leaseMs: 30_000, logger, now: clock.now, sleep });
    expect(waits).toEqual([]);
    expect(busy).toMatchObject({ acquired: false, generation: 1 });

    // A holder that renews while the taker waits keeps its lease: one wait, then "held".
    clock.advance(6_000);
    const renewing = async (ms: number) => {
      waits.push(ms);
      clock.advance(2_000);
      await fresh.lease.renew(); // 7 s before its expiry, in time
      clock.advance(ms - 2_000);
    };
    const late = await acquireLease(connection, settings, 'run-h', {
      leaseMs: 30_000,
      logger,
      now: clock.now,
      sleep: renewing,
    });
    expect(waits).toEqual([9_050]);
    expect(late).toMatchObject({ acquired: false, generation: 1 });
  });

  it('a taker that waited for a lease takes nothing when the run ended meanwhile (no lease record left behind)', async () => {
    const leaseRecords = (runKey: string) =>
      (sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter((r) =>
        String(r.IdempotencyKey__c).startsWith(`${runKey}:lease:`),
      );
    // The holder stops renewing (it is finishing), and finishes while the taker waits: its clean-up
    // deletes every lease record it lists.
    const race = async (runKey: string, check: boolean) => {
      const clock = manualClock();
      const holder = await acquireLease(connection, settings, runKey, { leaseMs: 30_000, logger, now: clock.now });
      if (!holder.acquired) throw new Error('expected the lease');
      holder.lease.stop();
      clock.advance(20_000);
      let ended = false;
      const sleep = async (ms: number) => {
        expect(await deleteLeases(connection, settings, runKey, logger)).toBe(0);
        ended = true;
        clock.advance(ms);
      };
      return acquireLease(connection, settings, runKey, {
        leaseMs: 30_000,
        logger,
        now: clock.now,
        sleep,
        ...(check ? { stillOpen: async () => !ended } : {}),
      });
    };
    // Without the check after the wait, the taker inserts a lease that nobody deletes (the defect).
    const blind = await race('run-i', false);
    expect(blind.acquired).toBe(true);
    if (blind.acquired) blind.lease.stop();
    expect(leaseRecords('run-i')).toHaveLength(1);
    // With it, the taker sees the run ended and inserts nothing.
    const checked = await race('run-j', true);
    expect(checked).toEqual({ acquired: false, ended: true });
    expect(leaseRecords('run-j')).toHaveLength(0);
  });

  it('discard deletes the lease record just taken and stops the holder', async () => {
    const taken = await acquireLease(connection, settings, 'run-k', { leaseMs: 30_000, logger });
    if (!taken.acquired) throw new Error('expected the lease');
    const before = (sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter(
      (r) => r.IdempotencyKey__c === 'run-k:lease:1',
    );
    expect(before).toHaveLength(1);
    await taken.lease.discard();
    expect(taken.lease.canSend()).toBe(false);
    expect(taken.lease.held()).toBe(false);
    const after = (sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter(
      (r) => r.IdempotencyKey__c === 'run-k:lease:1',
    );
    expect(after).toHaveLength(0);
    // The next taker starts again from generation 1: nothing of the discarded lease is left.
    const next = await acquireLease(connection, settings, 'run-k', { leaseMs: 30_000, logger });
    expect(next).toMatchObject({ acquired: true });
    if (next.acquired) next.lease.stop();
  });

  it('the heartbeat renews the lease by itself and stops with the holder', async () => {
    const taken = await acquireLease(connection, settings, 'run-f', { leaseMs: 1_000, logger });
    if (!taken.acquired) throw new Error('expected the lease');
    const nameOf = async () =>
      (
        await connection.query<{ Name: string }>(
          `SELECT Name FROM ${settings.object} WHERE ${settings.idempotencyKeyField} = 'run-f:lease:1'`,
        )
      ).records[0]?.Name;
    const first = await nameOf();
    let renewed = first;
    while (renewed === first) renewed = await nameOf(); // a renewal wrote a later expiry
    expect(renewed).toMatch(/^lease 1 until /);
    taken.lease.stop();
    await taken.lease.release();
    expect(await nameOf()).toBe('lease 1 released');
  });
});

/** Makes every update of the execution object fail (the record store unreachable); returns the undo. */
function refuseUpdates(): () => void {
  const sobject = connection.sobject.bind(connection);
  connection.sobject = ((type: string) => {
    const real = sobject(type);
    if (type !== settings.object) return real;
    return Object.assign(Object.create(Object.getPrototypeOf(real)), real, {
      update: async () => {
        throw Object.assign(new Error('Service temporarily unavailable'), { errorCode: 'SERVER_UNAVAILABLE' });
      },
    });
  }) as typeof connection.sobject;
  return () => {
    connection.sobject = sobject;
  };
}
