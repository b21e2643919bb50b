// cancel.test.ts - `flurry cancel`: each id tried and reported, --all over your active jobs, option conflicts.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../control/api/app.ts';
import { FakeServices, SUMMARY } from '../../../control/api/fake-services.ts';
import { ConflictError, NotFoundError } from '../../../control/core/errors.ts';
import { FlurryClient } from '../../sdk/client.ts';
import { cancelJobs, checkCancelOptions } from './cancel.ts';

const appClient = (fake: FakeServices) => {
  const app = createApp(fake.services);
  return new FlurryClient({ uri: 'http://flurry.test', token: 'tok-owner', fetch: async (url, init) => app.request(url, init) });
};

describe('cancelJobs', () => {
  it('cancels each id with the note, quietly', async () => {
    const fake = new FakeServices();
    const r = await cancelJobs(appClient(fake), ['ƒuZZybuNNy', '6731191091817518'], { message: 'wrong deck' });
    expect(r).toEqual({ err: '', exitCode: 0 });
    expect(fake.callsOf('cancel').map((a) => [a[1], a[2]])).toEqual([
      [6731191091817518n, 'wrong deck'],
      [6731191091817518n, 'wrong deck'],
    ]);
  });

  it('reports each failure on its own line and exits 1, still trying the others', async () => {
    const fake = new FakeServices();
    fake.failNext('cancel', new ConflictError('job ƒuZZybuNNy is already inactive'));
    const r = await cancelJobs(appClient(fake), ['ƒuZZybuNNy', 'bad!', 'ƒuZZybuNNy'], {});
    expect(r.exitCode).toBe(1);
    expect(r.err.split('\n').filter(Boolean).sort()).toEqual([
      expect.stringMatching(/^flurry-cancel: invalid job id "bad!"/),
      'flurry-cancel: ƒuZZybuNNy: job ƒuZZybuNNy is already inactive',
    ]);
    expect(fake.callsOf('cancel')).toHaveLength(2);
  });

  it('--all cancels your active jobs and counts them; jobs that ended meanwhile are no error', async () => {
    const fake = new FakeServices();
    fake.answers.list = { jobs: [SUMMARY, { ...SUMMARY, id: 2n }, { ...SUMMARY, id: 3n }] };
    fake.failNext('cancel', new ConflictError('already inactive'));
    const r = await cancelJobs(appClient(fake), [], { all: true });
    expect(fake.callsOf('list')[0]![1]).toMatchObject({ filter: 'active' });
    expect(r).toEqual({ err: 'flurry-cancel: Canceled 3 jobs (0 errors)\n', exitCode: 0 });
  });

  it('--all --dry-run, --user, --states, and an empty match', async () => {
    const fake = new FakeServices();
    fake.answers.list = { jobs: [SUMMARY] };
    expect(await cancelJobs(appClient(fake), [], { all: true, dryRun: true, states: 'pending', user: 'all' })).toEqual({ err: 'flurry-cancel: Would cancel 1 job\n', exitCode: 0 });
    expect(fake.callsOf('list')[0]![1]).toMatchObject({ filter: 'pending', user: '*' });
    expect(fake.callsOf('cancel')).toEqual([]);
    fake.answers.list = { jobs: [] };
    expect(await cancelJobs(appClient(fake), [], { all: true })).toEqual({ err: 'flurry-cancel: Command matched 0 jobs\n', exitCode: 0 });
    expect(await cancelJobs(appClient(fake), [], { all: true, quiet: true })).toEqual({ err: '', exitCode: 0 });
  });

  it('an unknown job is reported with the server message', async () => {
    const fake = new FakeServices();
    fake.failNext('cancel', new NotFoundError('job ƒuZZybuNNy not found'));
    expect(await cancelJobs(appClient(fake), ['ƒuZZybuNNy'], {})).toEqual({ err: 'flurry-cancel: ƒuZZybuNNy: job ƒuZZybuNNy not found\n', exitCode: 1 });
  });
});

describe('checkCancelOptions', () => {
  it('wants ids or a selection, not both, and only active states', () => {
    expect(() => checkCancelOptions([], {})).toThrow(/no jobs given/);
    expect(() => checkCancelOptions(['ƒ1'], { all: true })).toThrow(/not both/);
    expect(() => checkCancelOptions([], { all: true, states: 'inactive' })).toThrow('--states: only active states can be canceled');
    expect(() => checkCancelOptions([], { all: true, states: 'bogus' })).toThrow(/--states: unknown job state/);
    expect(() => checkCancelOptions([], { all: true, states: 'pending,run' })).not.toThrow();
  });
});
