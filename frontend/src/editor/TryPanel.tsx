import { useState } from 'react';
import type { ExecuteResponse } from '../api/types';
import { errorMessage } from '../api/client';
import { CodeEditor } from '../components/CodeEditor';
import { JsonBlock, TraceView } from '../components/TraceView';
import { Spinner } from '../components/Spinner';
import { firstSeedMetadata } from '../lib/seeds';

interface Props {
  seedFields: string[];
  onRun: (metadata: Record<string, unknown>) => Promise<ExecuteResponse | null>;
  onClose: () => void;
}

function initialMetadata(fields: string[]): string {
  return JSON.stringify(Object.fromEntries(fields.map((f) => [f, ''])), null, 2);
}

/** Runs the pipeline on one seed; nothing is stored. */
export function TryPanel({ seedFields, onRun, onClose }: Props) {
  const [text, setText] = useState(() => initialMetadata(seedFields));
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ExecuteResponse | null>(null);

  const parse = (t: string): Record<string, unknown> | null => {
    try {
      const v: unknown = JSON.parse(t);
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        setError('The seed metadata must be a JSON object');
        return null;
      }
      setError(null);
      return v as Record<string, unknown>;
    } catch (err) {
      setError(`Invalid JSON: ${errorMessage(err)}`);
      return null;
    }
  };

  const run = async () => {
    const metadata = parse(text);
    if (!metadata) return;
    setRunning(true);
    setResult(null);
    try {
      const res = await onRun(metadata);
      setResult(res);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRunning(false);
    }
  };

  const pickFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      const meta = firstSeedMetadata(file.name, await file.text());
      setText(JSON.stringify(meta, null, 2));
      setError(null);
    } catch (err) {
      setError(`${file.name}: ${errorMessage(err)}`);
    }
  };

  return (
    <aside className="side-panel try-panel" data-testid="try-panel">
      <div className="panel-header">
        <div className="panel-title">Try it on one seed</div>
        <button type="button" className="icon-button" aria-label="Close panel" onClick={onClose} data-testid="try-close">
          ×
        </button>
      </div>
      <p className="small muted">Runs the saved pipeline on this seed's metadata. Nothing is stored.</p>
      <label className="form-label">Seed metadata (JSON)</label>
      <CodeEditor
        language="json"
        value={text}
        onChange={(t) => {
          setText(t);
          if (error) parse(t);
        }}
        testId="try-metadata"
        ariaLabel="seed metadata"
        minHeight={90}
        invalid={!!error}
      />
      <div className="inline-form">
        <label className="button small file-button">
          From a file…
          <input
            type="file"
            accept=".json,.jsonl,.ndjson,.csv,application/json,text/csv"
            onChange={(e) => {
              void pickFile(e.target.files?.[0]);
              e.target.value = '';
            }}
            data-testid="try-file"
          />
        </label>
        <span className="tiny muted">first entry of a JSON, JSONL or CSV seed file</span>
      </div>
      {error && (
        <div className="error-text small" data-testid="try-error">
          {error}
        </div>
      )}
      <button type="button" className="button primary" onClick={() => void run()} disabled={running} data-testid="try-run">
        {running ? <Spinner small /> : null} Run
      </button>
      {result && (
        <div className="try-result" data-testid="try-result" data-status={result.status}>
          <div className={`status-line ${result.status === 'succeeded' ? 'ok' : 'bad'}`} data-testid="try-status">
            {result.status}
          </div>
          {result.error && (
            <div className="error-text small" data-testid="try-result-error">
              {result.error}
            </div>
          )}
          <div className="label">Output</div>
          <JsonBlock value={result.output} testId="try-output" />
          <details>
            <summary className="label">Accumulated state</summary>
            <JsonBlock value={result.accumulated_state} testId="try-state" />
          </details>
          <div className="label">Trace</div>
          <TraceView trace={result.trace} testId="try-trace" />
        </div>
      )}
    </aside>
  );
}
