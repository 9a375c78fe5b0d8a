import { useCallback, useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, jobEventsUrl } from '../api/client';
import type { Job } from '../api/types';
import { isActiveStatus } from './format';

export function isTerminal(job: Job | null | undefined): boolean {
  return !!job && !isActiveStatus(job.status);
}

/** Keeps the most advanced of two snapshots of one job (events and fetches can cross). */
export function newerJob(prev: Job | null, next: Job): Job {
  if (!prev || prev.id !== next.id) return next;
  if (isTerminal(prev) && !isTerminal(next)) return prev;
  if (!isTerminal(next) && next.done < prev.done) return prev;
  return next;
}

export interface JobProgressState {
  job: Job | null;
  /** When the last snapshot arrived (ms since epoch), to tick the elapsed time between events. */
  receivedAt: number;
  mode: 'stream' | 'poll' | 'idle';
  error: string | null;
}

/**
 * Live progress of one job: server-sent events on /api/jobs/{id}/events (`progress`, `end`),
 * falling back to polling GET /api/jobs/{id} when the stream fails.
 */
export function useJobProgress(jobId: number | null): JobProgressState & { push: (job: Job) => void } {
  const qc = useQueryClient();
  const [state, setState] = useState<JobProgressState>({ job: null, receivedAt: 0, mode: 'idle', error: null });

  useEffect(() => {
    if (jobId === null) {
      setState({ job: null, receivedAt: 0, mode: 'idle', error: null });
      return;
    }
    let closed = false;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;

    const accept = (job: Job) => {
      if (closed) return;
      setState((s) => ({ ...s, job: newerJob(s.job?.id === jobId ? s.job : null, job), receivedAt: Date.now(), error: null }));
      if (isTerminal(job) && !finished) {
        finished = true;
        es?.close();
        if (timer) clearTimeout(timer);
        void qc.invalidateQueries({ queryKey: ['jobs'] });
        void qc.invalidateQueries({ queryKey: ['records'] });
      }
    };

    const poll = () => {
      if (closed || finished) return;
      setState((s) => ({ ...s, mode: 'poll' }));
      timer = setTimeout(async () => {
        try {
          accept(await api.job(jobId));
        } catch (err) {
          if (!closed) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
        }
        poll();
      }, 1000);
    };

    setState({ job: null, receivedAt: 0, mode: 'idle', error: null });
    api
      .job(jobId)
      .then(accept)
      .catch((err: unknown) => {
        if (!closed) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      });

    if (typeof EventSource !== 'undefined') {
      es = new EventSource(jobEventsUrl(jobId));
      setState((s) => ({ ...s, mode: 'stream' }));
      const onData = (ev: MessageEvent<string>) => {
        try {
          accept(JSON.parse(ev.data) as Job);
        } catch {
          /* not a Job: ignore */
        }
      };
      es.addEventListener('progress', onData as EventListener);
      es.addEventListener('end', ((ev: MessageEvent<string>) => {
        onData(ev);
        finished = true;
        es?.close();
      }) as EventListener);
      es.onerror = () => {
        es?.close();
        if (!finished) poll();
      };
    } else {
      poll();
    }

    return () => {
      closed = true;
      es?.close();
      if (timer) clearTimeout(timer);
    };
  }, [jobId, qc]);

  /** Merges a snapshot obtained elsewhere (e.g. the answer to a cancel). */
  const push = useCallback(
    (job: Job) => {
      if (job.id !== jobId) return;
      setState((s) => ({ ...s, job: newerJob(s.job, job), receivedAt: Date.now() }));
    },
    [jobId],
  );

  return { ...state, push };
}
