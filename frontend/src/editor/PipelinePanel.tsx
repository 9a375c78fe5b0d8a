import { useState } from 'react';
import { useEditorStore } from './store';

const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Shown when no block is selected: the pipeline's own settings (seed fields). */
export function PipelinePanel({ blockCount }: { blockCount: number }) {
  const seedFields = useEditorStore((s) => s.seedFields);
  const setSeedFields = useEditorStore((s) => s.setSeedFields);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  const add = () => {
    const names = text
      .split(/[,\s]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    if (!names.length) return;
    const bad = names.find((n) => !FIELD_PATTERN.test(n));
    if (bad) {
      setError(`"${bad}" is not a valid field name (letters, digits and _; not starting with a digit)`);
      return;
    }
    setSeedFields([...seedFields, ...names.filter((n, i) => !seedFields.includes(n) && names.indexOf(n) === i)]);
    setText('');
    setError(null);
  };

  return (
    <aside className="side-panel pipeline-panel" data-testid="pipeline-panel">
      <div className="panel-title">Pipeline</div>
      <section className="form-field">
        <label className="form-label" htmlFor="seed-field-input">
          Seed fields
        </label>
        <div className="help-text">
          The fields each seed's <code>metadata</code> provides. Blocks see them from the start, so templates and field
          references can be checked before any seed exists.
        </div>
        <div className="chips" data-testid="seed-fields">
          {seedFields.map((f) => (
            <span key={f} className="chip" data-testid="seed-field-chip" data-field={f}>
              {f}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove seed field ${f}`}
                onClick={() => setSeedFields(seedFields.filter((x) => x !== f))}
                data-testid={`seed-field-remove-${f}`}
              >
                ×
              </button>
            </span>
          ))}
          {seedFields.length === 0 && <span className="muted small">none declared</span>}
        </div>
        <div className="inline-form">
          <input
            id="seed-field-input"
            className="input"
            value={text}
            placeholder="e.g. topic"
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
            data-testid="seed-field-input"
            autoComplete="off"
          />
          <button type="button" className="button small" onClick={add} data-testid="seed-field-add">
            Add
          </button>
        </div>
        {error && (
          <div className="error-text small" data-testid="seed-field-error">
            {error}
          </div>
        )}
      </section>
      <section className="small muted help-list">
        <p>
          {blockCount} block{blockCount === 1 ? '' : 's'}. Select a block to configure it.
        </p>
        <ul>
          <li>Drag blocks from the palette; connect a block's bottom handle to another's top handle.</li>
          <li>Start → block marks where records begin; block → End marks what finishes them. Branches are allowed.</li>
          <li>Delete or Backspace removes the selected blocks and edges.</li>
          <li>Each block shows the state it receives: the seed fields plus every upstream block's outputs.</li>
          <li>Ctrl+S saves (after validation); Ctrl+Z and Ctrl+Shift+Z undo and redo.</li>
        </ul>
      </section>
    </aside>
  );
}
