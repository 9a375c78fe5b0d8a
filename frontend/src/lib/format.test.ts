import { describe, expect, it } from 'vitest';
import type { Job } from '../api/types';
import { formatDuration, formatRate, percent } from './format';
import { newerJob } from './useJobProgress';

const job = (over: Partial<Job>): Job => ({
  id: 1,
  pipeline_id: 1,
  pipeline_name: 'p',
  status: 'running',
  total: 10,
  done: 0,
  succeeded: 0,
  failed: 0,
  current_blocks: [],
  elapsed_s: 0,
  rate: 0,
  eta_s: null,
  error: null,
  seed_filename: 'seeds.json',
  created_at: '2024-01-01T00:00:00Z',
  started_at: null,
  finished_at: null,
  usage: null,
  ...over,
});

describe('progress figures', () => {
  it('percent is floored and bounded', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(1, 3)).toBe(33);
    expect(percent(3, 3)).toBe(100);
    expect(percent(5, 3)).toBe(100);
  });

  it('durations and rates', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(5.44)).toBe('5.4s');
    expect(formatDuration(12.6)).toBe('13s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(3700)).toBe('1h 01m');
    expect(formatRate(0)).toBe('—');
    expect(formatRate(2.5)).toBe('2.50/s');
    expect(formatRate(42.4)).toBe('42/s');
  });
});

describe('newerJob: events and fetches can cross', () => {
  it('keeps the most advanced snapshot of one job', () => {
    const a = job({ done: 5 });
    expect(newerJob(a, job({ done: 3 }))).toBe(a);
    const b = job({ done: 6 });
    expect(newerJob(a, b)).toBe(b);
  });

  it('a final status wins and is never undone by a late progress event', () => {
    const done = job({ status: 'completed', done: 10 });
    expect(newerJob(job({ done: 9 }), done)).toBe(done);
    expect(newerJob(done, job({ done: 9 }))).toBe(done);
    const cancelled = job({ status: 'cancelled', done: 4 });
    expect(newerJob(job({ done: 5 }), cancelled)).toBe(cancelled);
  });

  it('another job replaces the snapshot', () => {
    const other = job({ id: 2, done: 0 });
    expect(newerJob(job({ done: 8 }), other)).toBe(other);
    expect(newerJob(null, other)).toBe(other);
  });
});
