// events.test.ts - the eventlog entry schema: RFC 18 shape and RFC 21 contexts, using the RFCs' own examples.
import { describe, expect, it } from 'vitest';
import { checkContext, EVENT_NAMES, jobEventSchema, submitEvent, type JobEvent } from './events.ts';
import { reduceEventlog } from './reducer.ts';

describe('jobEventSchema', () => {
  const rfcExamples: JobEvent[] = [
    { timestamp: 1552593348.073045, name: 'submit', context: { urgency: 16, userid: 5588, flags: 0, version: 1 } },
    { timestamp: 1552593348.073045, name: 'jobspec-update', context: { 'attributes.system.duration': 3600 } },
    { timestamp: 1605115080.0358412, name: 'validate' },
    { timestamp: 1605115080.0358412, name: 'invalidate' },
    { timestamp: 1552593348.073045, name: 'set-flags', context: { flags: ['debug'] } },
    { timestamp: 1552593348.073045, name: 'dependency-add', context: { description: 'begin-time=1552594348' } },
    { timestamp: 1552594348.0, name: 'dependency-remove', context: { description: 'begin-time=1552594348' } },
    { timestamp: 1605115080.0358412, name: 'depend' },
    { timestamp: 1552593547.411336, name: 'priority', context: { priority: 42 } },
    { timestamp: 1605115080.0358412, name: 'flux-restart' },
    { timestamp: 1552593547.411336, name: 'urgency', context: { urgency: 0, userid: 5588 } },
    { timestamp: 1552593348.088391, name: 'alloc', context: { annotations: { 'sched.resource_summary': 'rank0/core[0-1]' } } },
    { timestamp: 1552593348.073045, name: 'prolog-start', context: { description: '/usr/sbin/job-prolog.sh' } },
    { timestamp: 1552594348.0, name: 'prolog-finish', context: { description: '/usr/sbin/job-prolog.sh', status: 0 } },
    { timestamp: 1552593348.073045, name: 'epilog-start', context: { description: '/usr/sbin/job-epilog.sh' } },
    { timestamp: 1552594348.0, name: 'epilog-finish', context: { description: '/usr/sbin/job-epilog.sh', status: 0 } },
    { timestamp: 1552593348.093541, name: 'free' },
    { timestamp: 1552593348.089787, name: 'start' },
    { timestamp: 1552593348.09283, name: 'release', context: { ranks: 'all', final: true } },
    { timestamp: 1552593348.090927, name: 'finish', context: { status: 0 } },
    { timestamp: 1552593348.104432, name: 'clean' },
    { timestamp: 1552593986.335602, name: 'exception', context: { type: 'oom', severity: 0, userid: 5588, note: 'out of memory on foo42' } },
    { timestamp: 1637723184.3725791, name: 'memo', context: { key: 'value' } },
    { timestamp: 1552594649.848032, name: 'debug.free-request' },
  ];
  it.each(rfcExamples.map((e) => [e.name, e] as const))('accepts RFC 21 example: %s', (_n, ev) => {
    expect(jobEventSchema.safeParse(ev).success).toBe(true);
  });
  it('covers every event RFC 21 defines', () => {
    expect(new Set(rfcExamples.map((e) => e.name).filter((n) => !n.startsWith('debug.')))).toEqual(new Set(EVENT_NAMES));
  });
  it('accepts events it does not know (RFC 21: others MAY appear)', () => {
    expect(jobEventSchema.safeParse({ timestamp: 1, name: 'resource-update', context: { expiration: 5 } }).success).toBe(true);
  });

  const bad: Array<[string, unknown, string]> = [
    ['a zero timestamp', { timestamp: 0, name: 'validate' }, 'greater than zero'],
    ['a string timestamp', { timestamp: '1', name: 'validate' }, 'must be a number'],
    ['an empty name', { timestamp: 1, name: '' }, 'must not be empty'],
    ['an array context', { timestamp: 1, name: 'memo', context: [] }, 'must be an object'],
    ['a submit without userid', { timestamp: 1, name: 'submit', context: { urgency: 16, version: 1 } }, 'context.userid'],
    ['a priority above 2^32-1', { timestamp: 1, name: 'priority', context: { priority: 2 ** 32 } }, 'context.priority'],
    ['a fractional urgency', { timestamp: 1, name: 'urgency', context: { urgency: 1.5, userid: 'a' } }, 'context.urgency'],
    ['a release without final', { timestamp: 1, name: 'release', context: { ranks: 'all' } }, 'context.final'],
    ['a clean with a context', { timestamp: 1, name: 'clean', context: { why: 1 } }, 'context: must be empty'],
    ['a finish without context', { timestamp: 1, name: 'finish' }, 'context: required'],
    ['a jobspec-update outside attributes', { timestamp: 1, name: 'jobspec-update', context: { tasks: 1 } }, 'attributes.'],
    ['an empty jobspec-update', { timestamp: 1, name: 'jobspec-update', context: {} }, 'at least one key'],
  ];
  it.each(bad)('rejects %s', (_n, ev, message) => {
    const r = jobEventSchema.safeParse(ev);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('checkContext', () => {
  it('is null for events without a defined context', () => {
    expect(checkContext({ timestamp: 1, name: 'validate' })).toBeNull();
    expect(checkContext({ timestamp: 1, name: 'debug.x', context: { anything: [1] } })).toBeNull();
  });
  it('says which key is wrong', () => {
    expect(checkContext({ timestamp: 1, name: 'exception', context: { type: '', severity: 0, note: '' } })).toBe('context.type: must not be empty');
  });
});

describe('submitEvent', () => {
  it('builds a valid first event with the default urgency', () => {
    const ev = submitEvent(1700000000.25, { userid: 'alice' });
    expect(jobEventSchema.parse(ev)).toEqual(ev);
    expect(reduceEventlog([ev])).toMatchObject({ owner: 'alice', urgency: 16, state: 'NEW', t_submit: 1700000000.25 });
  });
});
