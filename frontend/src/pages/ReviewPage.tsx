import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, downloadExport, errorMessage, exportUrl, getToken } from '../api/client';
import { RECORD_STATUSES, type DataRecord, type RecordStatus } from '../api/types';
import { CodeEditor } from '../components/CodeEditor';
import { ConfirmDialog, Modal } from '../components/Modal';
import { Spinner } from '../components/Spinner';
import { JsonBlock, TraceView } from '../components/TraceView';
import { formatDate, isActiveStatus, pretty } from '../lib/format';
import { reviewAction } from '../lib/keys';

const PAGE_SIZES = [10, 20, 50, 100];

type Pending = { kind: 'bulk'; status: 'accepted' | 'rejected' } | { kind: 'delete' } | null;

export function ReviewPage() {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const jobsQ = useQuery({ queryKey: ['jobs', 'list'], queryFn: api.jobs, refetchInterval: 5000 });
  const jobs = useMemo(() => jobsQ.data?.jobs ?? [], [jobsQ.data]);
  const jobParam = params.get('job');
  const jobId = jobParam ? Number(jobParam) : (jobs[0]?.id ?? null);
  const job = jobs.find((j) => j.id === jobId);
  const statusParam = params.get('status') ?? '';
  const status = (RECORD_STATUSES as string[]).includes(statusParam) ? (statusParam as RecordStatus) : '';
  const [pageSize, setPageSize] = useState(20);
  const [page, setPage] = useState(0);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [editing, setEditing] = useState<DataRecord | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  /** Where the selection was: used when the selected record left the list (e.g. accepted under the pending filter). */
  const [anchorIndex, setAnchorIndex] = useState(0);

  const recordsQ = useQuery({
    queryKey: ['records', jobId, status, pageSize, page],
    queryFn: () => api.records({ job_id: jobId ?? undefined, status, limit: pageSize, offset: page * pageSize }),
    enabled: jobId !== null,
    placeholderData: keepPreviousData,
    refetchInterval: job && isActiveStatus(job.status) ? 3000 : false,
  });
  const records = useMemo(() => recordsQ.data?.records ?? [], [recordsQ.data]);
  const total = recordsQ.data?.total ?? 0;
  const counts = recordsQ.data?.counts;
  const allCount = counts ? RECORD_STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0) : 0;

  // keep a selected record: the same one if still listed, else the one now at its place
  const selectedIndex = records.findIndex((r) => r.id === selectedId);
  const effectiveIndex = selectedIndex >= 0 ? selectedIndex : records.length ? Math.min(anchorIndex, records.length - 1) : -1;
  const selected = effectiveIndex >= 0 ? records[effectiveIndex] : undefined;
  const selectAt = (index: number, list: DataRecord[] = records) => {
    setSelectedId(list[index]?.id ?? null);
    setAnchorIndex(Math.max(0, index));
  };

  // a page emptied by actions: step back to the last page that has records
  const lastPage = Math.max(0, Math.ceil(total / pageSize) - 1);
  if (recordsQ.data && !recordsQ.isPlaceholderData && !records.length && total > 0 && page > lastPage) setPage(lastPage);

  const setFilter = (next: { job?: number | null; status?: string }) => {
    setParams((p) => {
      const q = new URLSearchParams(p);
      if (next.job !== undefined) {
        if (next.job === null) q.delete('job');
        else q.set('job', String(next.job));
      }
      if (next.status !== undefined) {
        if (next.status) q.set('status', next.status);
        else q.delete('status');
      }
      return q;
    });
    setPage(0);
    selectAt(0, []);
  };

  const invalidate = useCallback(() => {
    void qc.invalidateQueries({ queryKey: ['records'] });
    void qc.invalidateQueries({ queryKey: ['jobs'] });
  }, [qc]);

  const update = useMutation({
    mutationFn: ({ id, status: s, output }: { id: number; status?: 'accepted' | 'rejected'; output?: unknown }) =>
      api.updateRecord(id, output !== undefined ? { output } : { status: s }),
    onSuccess: (rec) => {
      qc.setQueryData(['record', rec.id], rec);
      invalidate();
    },
    onError: (err) => setMessage({ kind: 'error', text: errorMessage(err) }),
  });

  const move = (delta: number) => {
    if (!records.length) return;
    const idx = Math.max(0, Math.min(records.length - 1, effectiveIndex + delta));
    if (idx === effectiveIndex && delta > 0 && (page + 1) * pageSize < total) {
      setPage(page + 1);
      selectAt(0, []);
      return;
    }
    if (idx === effectiveIndex && delta < 0 && page > 0) {
      setPage(page - 1);
      selectAt(pageSize - 1, []);
      return;
    }
    selectAt(idx);
  };

  const setStatus = (rec: DataRecord, s: 'accepted' | 'rejected') => {
    const idx = records.findIndex((r) => r.id === rec.id);
    update.mutate({ id: rec.id, status: s });
    setMessage(null);
    // move on: the next record if any (it takes this one's place if this one leaves the filter)
    if (idx >= 0 && idx + 1 < records.length) {
      setSelectedId(records[idx + 1].id);
      setAnchorIndex(idx);
    } else {
      setSelectedId(rec.id);
      setAnchorIndex(Math.max(0, idx));
    }
  };

  const onKeyRef = useRef<(e: KeyboardEvent) => void>(() => undefined);
  useEffect(() => {
    onKeyRef.current = (e: KeyboardEvent) => {
      if (editing || pending) return;
      const action = reviewAction(e);
      if (!action) return;
      e.preventDefault();
      if (action === 'next') move(1);
      else if (action === 'previous') move(-1);
      else if (selected && selected.status === 'failed') {
        setMessage({ kind: 'error', text: `Record #${selected.id} failed: retry the job's failed records instead.` });
      } else if (selected) {
        if (action === 'accept') setStatus(selected, 'accepted');
        else if (action === 'reject') setStatus(selected, 'rejected');
        else if (action === 'edit') setEditing(selected);
      }
    };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => onKeyRef.current(e);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (!selected) return;
    document.querySelector(`[data-record-id="${selected.id}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const bulk = useMutation({
    mutationFn: (s: 'accepted' | 'rejected') =>
      api.bulkUpdateRecords({ job_id: jobId!, status: s, ...(status && status !== 'failed' ? { filter_status: status } : {}) }),
    onSuccess: (res, s) => {
      setPending(null);
      setMessage({ kind: 'ok', text: `${res.updated} record${res.updated === 1 ? '' : 's'} ${s}.` });
      invalidate();
    },
    onError: (err) => {
      setPending(null);
      setMessage({ kind: 'error', text: errorMessage(err) });
    },
  });

  const remove = useMutation({
    mutationFn: () => api.deleteRecords(jobId!),
    onSuccess: (res) => {
      setPending(null);
      setMessage({ kind: 'ok', text: `Deleted ${res.deleted} record${res.deleted === 1 ? '' : 's'} and job #${jobId}.` });
      setFilter({ job: null });
      invalidate();
    },
    onError: (err) => {
      setPending(null);
      setMessage({ kind: 'error', text: errorMessage(err) });
    },
  });

  const retry = useMutation({
    mutationFn: () => api.retryFailed(jobId!),
    onSuccess: () => {
      setMessage({ kind: 'ok', text: `Retrying the failed records of job #${jobId}.` });
      invalidate();
    },
    onError: (err) => setMessage({ kind: 'error', text: errorMessage(err) }),
  });

  const exportNow = async () => {
    try {
      await downloadExport(jobId ?? undefined, status || undefined);
    } catch (err) {
      setMessage({ kind: 'error', text: `Export failed: ${errorMessage(err)}` });
    }
  };

  const filteredCount = status ? (counts?.[status] ?? total) : allCount || total;
  const jobActive = !!job && isActiveStatus(job.status);
  // a job an error stopped early: Retry failed also runs what it never reached
  const unrun = job && job.status === 'failed' ? Math.max(0, job.total - job.done) : 0;

  return (
    <div className="page" data-testid="page-review">
      <div className="page-title">
        <h1>Review</h1>
        <span className="small muted keys-hint">
          <kbd>A</kbd> accept · <kbd>R</kbd> reject · <kbd>E</kbd> edit · <kbd>N</kbd>/<kbd>P</kbd> next/previous
        </span>
      </div>

      {message && (
        <p className={message.kind === 'ok' ? 'ok-text' : 'error-text'} data-testid="review-message">
          {message.text}
        </p>
      )}

      {jobsQ.isLoading ? (
        <Spinner />
      ) : jobs.length === 0 && jobId === null ? (
        <p className="muted" data-testid="review-no-jobs">
          No jobs yet: run one from the <Link to="/generator">Generator</Link>.
        </p>
      ) : (
        <>
          <div className="review-bar">
            <label className="form-label inline" htmlFor="review-job">
              Job
            </label>
            <select
              id="review-job"
              className="input"
              value={jobId ?? ''}
              onChange={(e) => setFilter({ job: e.target.value ? Number(e.target.value) : null })}
              data-testid="review-job-select"
            >
              {jobId !== null && !job && <option value={jobId}>#{jobId}</option>}
              {jobs.map((j) => (
                <option key={j.id} value={j.id}>
                  #{j.id} · {j.pipeline_name} · {j.status} · {j.done}/{j.total}
                </option>
              ))}
            </select>
            {job && (
              <span className="small muted" data-testid="review-job-info">
                {job.seed_filename ?? ''} · {formatDate(job.created_at)}
                {jobActive && (
                  <>
                    {' '}
                    · <Link to={`/generator?job=${job.id}`}>running…</Link>
                  </>
                )}
              </span>
            )}
          </div>

          <div className="status-filters" role="tablist" data-testid="status-filters">
            <button
              type="button"
              role="tab"
              aria-selected={status === ''}
              className={`filter${status === '' ? ' active' : ''}`}
              onClick={() => setFilter({ status: '' })}
              data-testid="status-filter-all"
            >
              All <span className="count" data-testid="status-count-all">{allCount}</span>
            </button>
            {RECORD_STATUSES.map((s) => (
              <button
                key={s}
                type="button"
                role="tab"
                aria-selected={status === s}
                className={`filter filter-${s}${status === s ? ' active' : ''}`}
                onClick={() => setFilter({ status: s })}
                data-testid={`status-filter-${s}`}
              >
                {s} <span className="count" data-testid={`status-count-${s}`}>{counts?.[s] ?? 0}</span>
              </button>
            ))}
          </div>

          <div className="review-actions">
            <button
              type="button"
              className="button"
              disabled={!filteredCount || jobId === null || status === 'failed'}
              onClick={() => setPending({ kind: 'bulk', status: 'accepted' })}
              data-testid="bulk-accept"
            >
              Accept all {status || ''} ({filteredCount})
            </button>
            <button
              type="button"
              className="button"
              disabled={!filteredCount || jobId === null || status === 'failed'}
              onClick={() => setPending({ kind: 'bulk', status: 'rejected' })}
              data-testid="bulk-reject"
            >
              Reject all {status || ''} ({filteredCount})
            </button>
            {getToken() ? (
              <button type="button" className="button" onClick={() => void exportNow()} disabled={jobId === null} data-testid="export-button">
                Export JSONL{status ? ` (${status})` : ''}
              </button>
            ) : (
              <a
                className={`button${jobId === null ? ' disabled' : ''}`}
                href={exportUrl(jobId ?? undefined, status || undefined)}
                download
                data-testid="export-button"
              >
                Export JSONL{status ? ` (${status})` : ''}
              </a>
            )}
            {((counts?.failed ?? 0) > 0 || unrun > 0) && (
              <button
                type="button"
                className="button"
                onClick={() => retry.mutate()}
                disabled={retry.isPending || jobActive}
                data-testid="retry-failed"
                title={unrun > 0 ? 'The job stopped early: this also runs the executions it never reached' : undefined}
              >
                Retry failed ({counts?.failed ?? 0}){unrun > 0 ? ` + ${unrun} not run` : ''}
              </button>
            )}
            <div className="toolbar-spacer" />
            <button
              type="button"
              className="button danger"
              disabled={jobId === null || jobActive}
              onClick={() => setPending({ kind: 'delete' })}
              data-testid="delete-job-records"
              title={jobActive ? 'The job is still running' : 'Delete every record of this job, and the job'}
            >
              Delete job records
            </button>
          </div>


          {recordsQ.error && <p className="error-text">Could not load records: {errorMessage(recordsQ.error)}</p>}
          {recordsQ.isLoading && <Spinner />}
          {recordsQ.data && records.length === 0 && (
            <p className="muted" data-testid="review-empty">
              No {status || ''} records{jobId !== null ? ` in job #${jobId}` : ''}.
            </p>
          )}

          <div className="record-list" data-testid="record-list">
            {records.map((r) => (
              <RecordCard
                key={r.id}
                record={r}
                selected={selected?.id === r.id}
                onSelect={() => selectAt(records.indexOf(r))}
                onAccept={() => setStatus(r, 'accepted')}
                onReject={() => setStatus(r, 'rejected')}
                onEdit={() => setEditing(r)}
              />
            ))}
          </div>

          {total > 0 && (
            <div className="pagination" data-testid="pagination">
              <button type="button" className="button small" disabled={page === 0} onClick={() => setPage(page - 1)} data-testid="page-prev">
                ← Previous
              </button>
              <span className="small" data-testid="page-info">
                {page * pageSize + 1}–{Math.min(total, (page + 1) * pageSize)} of {total}
              </span>
              <button
                type="button"
                className="button small"
                disabled={(page + 1) * pageSize >= total}
                onClick={() => setPage(page + 1)}
                data-testid="page-next"
              >
                Next →
              </button>
              <select
                className="input small-select"
                value={pageSize}
                onChange={(e) => {
                  setPageSize(Number(e.target.value));
                  setPage(0);
                }}
                aria-label="Records per page"
                data-testid="page-size"
              >
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={n}>
                    {n} / page
                  </option>
                ))}
              </select>
            </div>
          )}
        </>
      )}

      {editing && (
        <EditDialog
          record={editing}
          busy={update.isPending}
          onCancel={() => setEditing(null)}
          onSave={(output) => {
            update.mutate(
              { id: editing.id, output },
              {
                onSuccess: () => {
                  setEditing(null);
                  setMessage({ kind: 'ok', text: `Record #${editing.id} edited.` });
                },
              },
            );
          }}
        />
      )}
      {pending?.kind === 'bulk' && (
        <ConfirmDialog
          title={pending.status === 'accepted' ? 'Accept records' : 'Reject records'}
          message={`Mark all ${filteredCount} ${status || ''} record${filteredCount === 1 ? '' : 's'} of job #${jobId} as ${pending.status}?`}
          confirmLabel={pending.status === 'accepted' ? 'Accept all' : 'Reject all'}
          danger={pending.status === 'rejected'}
          busy={bulk.isPending}
          onConfirm={() => bulk.mutate(pending.status)}
          onCancel={() => setPending(null)}
        />
      )}
      {pending?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete job records"
          message={`Delete all ${allCount} records of job #${jobId} and the job itself? This cannot be undone.`}
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate()}
          onCancel={() => setPending(null)}
        />
      )}
    </div>
  );
}

function RecordCard({
  record: r,
  selected,
  onSelect,
  onAccept,
  onReject,
  onEdit,
}: {
  record: DataRecord;
  selected: boolean;
  onSelect: () => void;
  onAccept: () => void;
  onReject: () => void;
  onEdit: () => void;
}) {
  const edited = r.status === 'edited' && r.original_output !== undefined && pretty(r.original_output) !== pretty(r.output);
  return (
    <article
      className={`card record-card status-${r.status}${selected ? ' selected' : ''}`}
      data-testid="record-card"
      data-record-id={r.id}
      data-status={r.status}
      data-selected={selected ? 'true' : 'false'}
      onClick={onSelect}
      aria-selected={selected}
    >
      <div className="record-head">
        <span className="record-title">
          #{r.id} <span className="muted small">seed {r.seed_index} · repetition {r.repetition}</span>
        </span>
        <span className={`status-badge status-${r.status}`} data-testid="record-status">
          {r.status}
        </span>
        <div className="toolbar-spacer" />
        {r.status === 'failed' ? (
          <span className="small muted">failed records are retried, not reviewed</span>
        ) : (
          <>
            <button
              type="button"
              className="button small ok"
              onClick={(e) => {
                e.stopPropagation();
                onAccept();
              }}
              data-testid="record-accept"
              title="Accept (A)"
            >
              Accept
            </button>
            <button
              type="button"
              className="button small danger"
              onClick={(e) => {
                e.stopPropagation();
                onReject();
              }}
              data-testid="record-reject"
              title="Reject (R)"
            >
              Reject
            </button>
            <button
              type="button"
              className="button small"
              onClick={(e) => {
                e.stopPropagation();
                onEdit();
              }}
              data-testid="record-edit"
              title="Edit (E)"
            >
              Edit
            </button>
          </>
        )}
      </div>
      {r.error && (
        <div className="error-text record-error" data-testid="record-error">
          {r.error}
        </div>
      )}
      <div className="label">Output</div>
      <JsonBlock value={r.output} testId="record-output" />
      {edited && (
        <details>
          <summary className="label">Original output</summary>
          <JsonBlock value={r.original_output} testId="record-original-output" />
        </details>
      )}
      <div className="record-columns">
        <details>
          <summary className="label">Seed metadata</summary>
          <JsonBlock value={r.metadata} testId="record-metadata" />
        </details>
        <details>
          <summary className="label">Accumulated state</summary>
          <JsonBlock value={r.accumulated_state} testId="record-state" />
        </details>
      </div>
      <details className="record-trace" data-testid="record-trace-toggle">
        <summary className="label">Execution trace ({r.trace?.length ?? 0} steps)</summary>
        <TraceView trace={r.trace ?? []} testId="record-trace" />
      </details>
    </article>
  );
}

function EditDialog({
  record,
  busy,
  onSave,
  onCancel,
}: {
  record: DataRecord;
  busy: boolean;
  onSave: (output: unknown) => void;
  onCancel: () => void;
}) {
  const startsAsText = typeof record.output === 'string';
  const [mode, setMode] = useState<'text' | 'json'>(startsAsText ? 'text' : 'json');
  const [text, setText] = useState(() => (startsAsText ? (record.output as string) : JSON.stringify(record.output, null, 2)));
  const [error, setError] = useState<string | null>(null);

  const submit = () => {
    if (mode === 'text') {
      onSave(text);
      return;
    }
    try {
      onSave(JSON.parse(text));
    } catch (err) {
      setError(`Invalid JSON: ${errorMessage(err)}`);
    }
  };

  return (
    <Modal
      title={`Edit record #${record.id}`}
      onClose={onCancel}
      testId="edit-modal"
      wide
      footer={
        <>
          <label className="small inline-check">
            <input
              type="checkbox"
              checked={mode === 'json'}
              onChange={(e) => {
                setMode(e.target.checked ? 'json' : 'text');
                setError(null);
              }}
              data-testid="edit-mode-json"
            />{' '}
            JSON value
          </label>
          <div className="toolbar-spacer" />
          <button type="button" className="button" onClick={onCancel} data-testid="edit-cancel">
            Cancel
          </button>
          <button type="button" className="button primary" onClick={submit} disabled={busy} data-testid="edit-save">
            {busy ? <Spinner small /> : null} Save
          </button>
        </>
      }
    >
      <p className="small muted">Saving marks the record as edited; the generated output is kept as the original.</p>
      {mode === 'text' ? (
        <textarea
          className="input edit-area"
          rows={14}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              submit();
            }
          }}
          data-testid="edit-output-text"
          data-autofocus
        />
      ) : (
        <CodeEditor
          language="json"
          value={text}
          onChange={(t) => {
            setText(t);
            if (error) setError(null);
          }}
          testId="edit-output-json"
          minHeight={220}
          maxHeight={480}
          invalid={!!error}
        />
      )}
      {error && (
        <div className="error-text small" data-testid="edit-error">
          {error}
        </div>
      )}
    </Modal>
  );
}
