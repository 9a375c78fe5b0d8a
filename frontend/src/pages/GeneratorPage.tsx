import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, errorMessage } from '../api/client';
import type { Job, SeedsValidateResponse } from '../api/types';
import { Spinner } from '../components/Spinner';
import { formatDate, formatDuration, formatRate, isActiveStatus, percent } from '../lib/format';
import { isTerminal, useJobProgress } from '../lib/useJobProgress';

type SeedCheck =
  | { state: 'idle' }
  | { state: 'checking'; file: File }
  | { state: 'ok'; file: File; result: SeedsValidateResponse }
  | { state: 'error'; file: File; message: string };

export function GeneratorPage() {
  const [params, setParams] = useSearchParams();
  const qc = useQueryClient();
  const pipelinesQ = useQuery({ queryKey: ['pipelines'], queryFn: api.pipelines });
  const activeQ = useQuery({ queryKey: ['jobs', 'active'], queryFn: api.activeJob, refetchInterval: 2000 });
  const paramJob = params.get('job');
  const activeJobId = activeQ.data?.job?.id ?? null;
  const shownJobId = paramJob ? Number(paramJob) : activeJobId;
  // a running job found on opening the page stays shown (with its final counts) once it ends
  useEffect(() => {
    if (!paramJob && activeJobId !== null) {
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          next.set('job', String(activeJobId));
          return next;
        },
        { replace: true },
      );
    }
  }, [paramJob, activeJobId, setParams]);

  const [pipelineId, setPipelineId] = useState<string>(params.get('pipeline') ?? '');
  const [seeds, setSeeds] = useState<SeedCheck>({ state: 'idle' });
  const [conflict, setConflict] = useState<{ message: string; jobId: number | null } | null>(null);

  // default to the only / first pipeline once the list is there
  const pipelines = pipelinesQ.data?.pipelines ?? [];
  if (!pipelineId && pipelines.length > 0) setPipelineId(String(pipelines[0].id));
  const pipeline = pipelines.find((p) => String(p.id) === pipelineId);

  const checkFile = async (file: File) => {
    setConflict(null);
    setSeeds({ state: 'checking', file });
    try {
      const result = await api.validateSeeds(file);
      setSeeds({ state: 'ok', file, result });
    } catch (err) {
      setSeeds({ state: 'error', file, message: errorMessage(err) });
    }
  };

  const generate = useMutation({
    mutationFn: () => {
      if (seeds.state !== 'ok' || !pipelineId) throw new Error('Choose a pipeline and a valid seed file first');
      return api.generate(seeds.file, Number(pipelineId));
    },
    onSuccess: ({ job_id }) => {
      setConflict(null);
      void qc.invalidateQueries({ queryKey: ['jobs'] });
      setParams((p) => {
        const next = new URLSearchParams(p);
        next.set('job', String(job_id));
        return next;
      });
    },
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) {
        const jobId = typeof err.detail?.job_id === 'number' ? err.detail.job_id : null;
        setConflict({ message: err.message, jobId });
      }
    },
  });

  const missingSeedFields =
    seeds.state === 'ok' && pipeline?.definition.seed_fields
      ? pipeline.definition.seed_fields.filter((f) => !seeds.result.fields.includes(f))
      : [];

  return (
    <div className="page" data-testid="page-generator">
      <div className="page-title">
        <h1>Generator</h1>
      </div>
      <div className="two-columns">
        <section className="card" data-testid="generator-form">
          <h2>New job</h2>
          <label className="form-label" htmlFor="generator-pipeline">
            Pipeline
          </label>
          {pipelinesQ.isLoading ? (
            <Spinner />
          ) : pipelines.length === 0 ? (
            <p className="muted" data-testid="generator-no-pipelines">
              No pipeline yet: <Link to="/pipelines">create one</Link> first.
            </p>
          ) : (
            <select
              id="generator-pipeline"
              className="input"
              value={pipelineId}
              onChange={(e) => setPipelineId(e.target.value)}
              data-testid="generator-pipeline"
            >
              {pipelines.map((p) => (
                <option key={p.id} value={String(p.id)}>
                  {p.name} (#{p.id})
                </option>
              ))}
            </select>
          )}
          {pipeline && (
            <p className="tiny muted">
              Blocks: {pipeline.definition.blocks.map((b) => b.id).join(' → ') || 'none'}
              {pipeline.definition.seed_fields?.length ? ` · seed fields: ${pipeline.definition.seed_fields.join(', ')}` : ''}{' '}
              · <Link to={`/pipelines/${pipeline.id}`}>edit</Link>
            </p>
          )}
          <label className="form-label">Seeds</label>
          <SeedDropzone onFile={(f) => void checkFile(f)} fileName={seeds.state === 'idle' ? null : seeds.file.name} />
          <div className="seed-check" data-testid="seed-validation" data-state={seeds.state}>
            {seeds.state === 'checking' && (
              <span>
                <Spinner small /> checking {seeds.file.name}…
              </span>
            )}
            {seeds.state === 'ok' && (
              <span className="ok-text">
                ✓ {seeds.file.name}: {seeds.result.seeds} seed{seeds.result.seeds === 1 ? '' : 's'},{' '}
                <strong data-testid="seed-total-executions">{seeds.result.total_executions}</strong> execution
                {seeds.result.total_executions === 1 ? '' : 's'}
                {seeds.result.fields.length ? ` · fields: ${seeds.result.fields.join(', ')}` : ''}
              </span>
            )}
            {seeds.state === 'error' && (
              <span className="error-text" data-testid="seed-error">
                ✗ {seeds.file.name}: {seeds.message}
              </span>
            )}
          </div>
          {missingSeedFields.length > 0 && (
            <p className="warn-text small" data-testid="seed-missing-fields">
              The pipeline expects seed fields the file lacks: {missingSeedFields.join(', ')}
            </p>
          )}
          <p className="tiny muted">
            JSON (an array of {'{"repetitions": N, "metadata": {…}}'}), JSONL, or CSV (one row = one seed's metadata).
          </p>
          <button
            type="button"
            className="button primary"
            disabled={seeds.state !== 'ok' || !pipelineId || generate.isPending}
            onClick={() => generate.mutate()}
            data-testid="generate-button"
          >
            {generate.isPending ? <Spinner small /> : null} Generate
          </button>
          {conflict && (
            <p className="warn-text" data-testid="generate-conflict">
              {conflict.message}{' '}
              {conflict.jobId !== null && (
                <Link to={`/generator?job=${conflict.jobId}`} data-testid="generate-conflict-link">
                  Show job #{conflict.jobId}
                </Link>
              )}
            </p>
          )}
          {generate.error && !conflict && (
            <p className="error-text" data-testid="generate-error">
              {errorMessage(generate.error)}
            </p>
          )}
        </section>
        <section className="card" data-testid="job-panel">
          <h2>Progress</h2>
          {shownJobId !== null && Number.isFinite(shownJobId) ? (
            <JobProgress jobId={shownJobId} />
          ) : (
            <p className="muted" data-testid="job-none">
              No job running. Pick a pipeline and a seed file, then Generate.
            </p>
          )}
        </section>
      </div>
      <RecentJobs shownJobId={shownJobId} />
    </div>
  );
}

function SeedDropzone({ onFile, fileName }: { onFile: (f: File) => void; fileName: string | null }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="seed-dropzone"
      role="button"
      tabIndex={0}
      onClick={() => input.current?.click()}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          input.current?.click();
        }
      }}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const f = e.dataTransfer.files?.[0];
        if (f) onFile(f);
      }}
    >
      <div>{fileName ? <strong>{fileName}</strong> : 'Drop a seed file here'}</div>
      <div className="small muted">or click to browse (.json, .jsonl, .csv)</div>
      <input
        ref={input}
        type="file"
        accept=".json,.jsonl,.ndjson,.csv,application/json,text/csv"
        hidden
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) onFile(f);
          e.target.value = '';
        }}
        data-testid="seed-file-input"
      />
    </div>
  );
}

function useTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function JobProgress({ jobId }: { jobId: number }) {
  const qc = useQueryClient();
  const { job, receivedAt, error, mode, push } = useJobProgress(jobId);
  const active = !!job && isActiveStatus(job.status);
  const now = useTicker(active);
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(jobId),
    onSuccess: (cancelled) => {
      push(cancelled);
      void qc.invalidateQueries({ queryKey: ['jobs'] });
    },
  });
  if (!job) {
    return error ? (
      <p className="error-text" data-testid="job-error">
        {error}
      </p>
    ) : (
      <Spinner />
    );
  }
  const pct = percent(job.done, job.total);
  const elapsed = active && job.status === 'running' && receivedAt ? job.elapsed_s + Math.max(0, (now - receivedAt) / 1000) : job.elapsed_s;
  return (
    <div className="job-progress" data-testid="job-progress" data-job-id={job.id} data-status={job.status} data-mode={mode}>
      <div className="job-head">
        <strong>Job #{job.id}</strong> <span className="muted">{job.pipeline_name}</span>
        <span className={`status-badge status-${job.status}`} data-testid="job-status" data-status={job.status}>
          {job.status}
        </span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        data-testid="job-progress-bar"
      >
        <div className={`progress-fill status-${job.status}`} style={{ width: `${pct}%` }} />
      </div>
      <div className="job-stats">
        <Stat label="Progress" testId="job-percent" value={`${pct}%`} />
        <Stat label="Done" testId="job-done" value={`${job.done} / ${job.total}`} />
        <Stat label="Succeeded" testId="job-succeeded" value={String(job.succeeded)} className="ok-text" />
        <Stat label="Failed" testId="job-failed" value={String(job.failed)} className={job.failed ? 'error-text' : ''} />
        <Stat label="Elapsed" testId="job-elapsed" value={formatDuration(elapsed)} />
        <Stat label="Rate" testId="job-rate" value={formatRate(job.rate)} />
        <Stat label="ETA" testId="job-eta" value={active ? formatDuration(job.eta_s) : '—'} />
        <Stat label="Tokens" testId="job-tokens" value={job.usage ? String(job.usage.total_tokens) : '—'} />
      </div>
      {active && (
        <div className="small" data-testid="job-current-blocks">
          <span className="muted">Running: </span>
          {job.current_blocks.length ? job.current_blocks.map((b) => <code key={b}>{b}</code>) : <span className="muted">starting…</span>}
        </div>
      )}
      {job.error && (
        <p className="error-text small" data-testid="job-error-message">
          {job.error}
        </p>
      )}
      {error && <p className="warn-text small">{error}</p>}
      <div className="card-actions">
        {active && (
          <button
            type="button"
            className="button danger"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending}
            data-testid="job-cancel"
          >
            {cancel.isPending ? <Spinner small /> : null} Cancel
          </button>
        )}
        {isTerminal(job) && (
          <Link to={`/review?job=${job.id}`} className="button primary" data-testid="job-review-link">
            Review {job.done} record{job.done === 1 ? '' : 's'}
          </Link>
        )}
        {active && (
          <Link to={`/review?job=${job.id}`} className="button" data-testid="job-review-partial">
            Review so far
          </Link>
        )}
      </div>
      {cancel.error && <p className="error-text small">{errorMessage(cancel.error)}</p>}
      <p className="tiny muted">
        {job.seed_filename ? `Seeds: ${job.seed_filename} · ` : ''}started {formatDate(job.started_at ?? job.created_at)}
        {job.finished_at ? ` · finished ${formatDate(job.finished_at)}` : ''}
      </p>
    </div>
  );
}

function Stat({ label, value, testId, className }: { label: string; value: string; testId: string; className?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className={`stat-value ${className ?? ''}`} data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function RecentJobs({ shownJobId }: { shownJobId: number | null }) {
  const [, setParams] = useSearchParams();
  const { data } = useQuery({
    queryKey: ['jobs', 'list'],
    queryFn: api.jobs,
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => isActiveStatus(j.status)) ? 2000 : 10000),
  });
  const jobs: Job[] = data?.jobs ?? [];
  if (!jobs.length) return null;
  return (
    <section className="section" data-testid="recent-jobs">
      <h2>Recent jobs</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Job</th>
            <th>Pipeline</th>
            <th>Status</th>
            <th>Records</th>
            <th>Started</th>
            <th aria-label="actions" />
          </tr>
        </thead>
        <tbody>
          {jobs.slice(0, 15).map((j) => (
            <tr key={j.id} className={j.id === shownJobId ? 'row-selected' : ''} data-testid={`job-row-${j.id}`}>
              <td>
                <button type="button" className="link-button" onClick={() => setParams({ job: String(j.id) })}>
                  #{j.id}
                </button>
              </td>
              <td>{j.pipeline_name}</td>
              <td>
                <span className={`status-badge status-${j.status}`}>{j.status}</span>
              </td>
              <td className="small">
                {j.done}/{j.total} · <span className="ok-text">{j.succeeded} ok</span>
                {j.failed ? <span className="error-text"> · {j.failed} failed</span> : null}
              </td>
              <td className="small muted">{formatDate(j.started_at ?? j.created_at)}</td>
              <td>
                <Link to={`/review?job=${j.id}`} className="button small">
                  Review
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
