import type { TraceEntry } from '../api/types';
import { pretty } from '../lib/format';

export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json-block" data-testid={testId}>
      {value === undefined ? '—' : typeof value === 'string' ? value : pretty(value)}
    </pre>
  );
}

/** The per-block execution trace of one record or one "Try it" run. */
export function TraceView({ trace, testId = 'trace' }: { trace: TraceEntry[]; testId?: string }) {
  if (!trace.length) return <p className="muted small">No trace entries.</p>;
  return (
    <ol className="trace" data-testid={testId}>
      {trace.map((t, i) => (
        <li key={`${t.block_id}-${i}`} className={`trace-entry${t.error ? ' failed' : ''}`} data-testid={`trace-entry-${t.block_id}`}>
          <details>
            <summary>
              <span className="trace-step">{i + 1}</span>
              <strong>{t.block_id}</strong> <span className="muted small">{t.block_type}</span>
              <span className="trace-meta small muted">
                {t.duration_ms != null ? <span data-testid="trace-duration">{`${t.duration_ms.toFixed(1)} ms`}</span> : ''}
                {t.usage ? <span data-testid="trace-tokens">{` · ${t.usage.total_tokens} tokens`}</span> : ''}
                {t.usage?.model ? ` · ${t.usage.model}` : ''}
                {t.usage?.demo ? ' · demo LLM' : ''}
              </span>
              {t.error && <span className="badge badge-error">error</span>}
            </summary>
            {t.error && (
              <div className="error-text small trace-error" data-testid="trace-error">
                {t.error}
              </div>
            )}
            <div className="trace-grid">
              <div>
                <div className="label">Input</div>
                <JsonBlock value={t.input} testId="trace-input" />
              </div>
              <div>
                <div className="label">Output</div>
                <JsonBlock value={t.output} testId="trace-output" />
              </div>
              <div>
                <div className="label">Accumulated state</div>
                <JsonBlock value={t.accumulated_state} testId="trace-state" />
              </div>
            </div>
            {t.usage && (
              <div className="tiny muted">
                prompt {t.usage.prompt_tokens} · completion {t.usage.completion_tokens} · total {t.usage.total_tokens}
                {t.usage.endpoint ? ` · ${t.usage.endpoint}` : ''} · started {t.started_at}
              </div>
            )}
          </details>
        </li>
      ))}
    </ol>
  );
}
