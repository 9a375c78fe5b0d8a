import { useEffect, useId, useRef, useState } from 'react';
import type { JsonSchemaProperty } from '../api/types';
import { CodeEditor } from '../components/CodeEditor';
import {
  formatDraft,
  normalizeProperty,
  parseDraft,
  propertyLabel,
  validateValue,
  widgetKind,
} from './schemaForm';

interface Props {
  name: string;
  prop: JsonSchemaProperty;
  required: boolean;
  /** The stored value (undefined = not set: the schema default applies). */
  value: unknown;
  onChange: (value: unknown) => void;
  /** Fields of the accumulated state available at this block. */
  available: string[];
  openEnded: boolean;
  onDraftError: (error: string | null) => void;
}

/** One config field, its widget chosen from the JSON Schema property. */
export function FieldWidget({ name, prop, required, value, onChange, available, openEnded, onDraftError }: Props) {
  const kind = widgetKind(prop);
  const shown = value === undefined ? prop.default : value;
  const inputId = useId();
  const [draftError, setDraftError] = useState<string | null>(null);

  const draftRef = useRef(onDraftError);
  useEffect(() => {
    draftRef.current = onDraftError;
  });
  // leaving the field (another node selected) drops its unparsable draft: the stored value stays
  useEffect(() => () => draftRef.current(null), []);

  const reportDraft = (err: string | null) => {
    setDraftError(err);
    onDraftError(err);
  };

  const valueError = draftError ? null : validateValue(prop, value, required);
  let refWarning: string | null = null;
  if (!valueError && !openEnded) {
    const refs = kind === 'field-reference' && typeof shown === 'string' && shown ? [shown] : kind === 'field-reference-list' && Array.isArray(shown) ? (shown as unknown[]).map(String) : [];
    const unknown = refs.filter((r) => !available.includes(r));
    if (unknown.length) refWarning = `Not available at this block: ${unknown.join(', ')}`;
  }
  const message = draftError ?? valueError ?? refWarning;
  const testInput = `config-input-${name}`;

  let widget: React.ReactNode;
  switch (kind) {
    case 'checkbox':
      widget = (
        <input
          id={inputId}
          type="checkbox"
          checked={shown === true}
          onChange={(e) => onChange(e.target.checked)}
          data-testid={testInput}
        />
      );
      break;
    case 'select': {
      const n = normalizeProperty(prop);
      const options = n.enumValues ?? [];
      const index = options.findIndex((o) => o === shown);
      widget = (
        <select
          id={inputId}
          className="input"
          value={index < 0 ? '' : String(index)}
          onChange={(e) => onChange(e.target.value === '' ? (n.nullable ? null : undefined) : options[Number(e.target.value)])}
          data-testid={testInput}
        >
          {(index < 0 || !required || n.nullable) && <option value="">— choose —</option>}
          {options.map((o, i) => (
            <option key={String(o)} value={String(i)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    }
    case 'number':
    case 'integer':
      widget = <DraftInput id={inputId} kind={kind} prop={prop} value={value} onValue={onChange} onError={reportDraft} testId={testInput} />;
      break;
    case 'json':
      widget = <JsonField prop={prop} value={value} onValue={onChange} onError={reportDraft} testId={testInput} name={name} />;
      break;
    case 'jinja':
      widget = (
        <>
          <CodeEditor
            language="jinja"
            value={typeof shown === 'string' ? shown : shown == null ? '' : String(shown)}
            onChange={(text) => onChange(text)}
            testId={testInput}
            ariaLabel={name}
            minHeight={70}
            invalid={!!message}
          />
          {available.length > 0 && (
            <div className="tiny muted template-vars">
              Variables:{' '}
              {available.map((f) => (
                <code key={f}>{`{{ ${f} }}`}</code>
              ))}
            </div>
          )}
        </>
      );
      break;
    case 'multiline':
      widget = (
        <textarea
          id={inputId}
          className="input"
          rows={4}
          value={shown == null ? '' : String(shown)}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testInput}
        />
      );
      break;
    case 'field-reference': {
      const listId = `${inputId}-fields`;
      widget = (
        <>
          <input
            id={inputId}
            className="input"
            list={listId}
            value={shown == null ? '' : String(shown)}
            placeholder="choose or type a field"
            onChange={(e) => onChange(e.target.value === '' && normalizeProperty(prop).nullable ? null : e.target.value)}
            data-testid={testInput}
            autoComplete="off"
          />
          <datalist id={listId}>
            {available.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </>
      );
      break;
    }
    case 'field-reference-list':
      widget = (
        <FieldListInput
          id={inputId}
          value={Array.isArray(shown) ? (shown as unknown[]).map(String) : []}
          available={available}
          onChange={onChange}
          testId={testInput}
        />
      );
      break;
    default:
      widget = (
        <input
          id={inputId}
          className="input"
          type="text"
          value={shown == null ? '' : String(shown)}
          onChange={(e) => onChange(e.target.value === '' && normalizeProperty(prop).nullable && !required ? null : e.target.value)}
          data-testid={testInput}
        />
      );
  }

  return (
    <div className={`form-field${message ? ' has-error' : ''}`} data-testid={`config-field-${name}`} data-widget={kind}>
      <label htmlFor={inputId} className="form-label">
        {propertyLabel(name, prop)}
        {required && <span className="required" title="required">*</span>}
        <code className="tiny muted">{name}</code>
      </label>
      {widget}
      {prop.description && <div className="help-text">{prop.description}</div>}
      {message && (
        <div className={refWarning && !draftError && !valueError ? 'warn-text small' : 'error-text small'} data-testid={`config-error-${name}`}>
          {message}
        </div>
      )}
    </div>
  );
}

function DraftInput({
  id,
  kind,
  prop,
  value,
  onValue,
  onError,
  testId,
}: {
  id: string;
  kind: 'number' | 'integer';
  prop: JsonSchemaProperty;
  value: unknown;
  onValue: (v: unknown) => void;
  onError: (e: string | null) => void;
  testId: string;
}) {
  // `value` is the stored value (undefined: the default applies); the text is what was typed
  const [text, setText] = useState(() => formatDraft(kind, value === undefined ? prop.default : value));
  const [lastValue, setLastValue] = useState(value);
  if (value !== lastValue) {
    // changed elsewhere (another node, undo, load): show it
    setLastValue(value);
    setText(formatDraft(kind, value === undefined ? prop.default : value));
  }
  return (
    <input
      id={id}
      className="input"
      type="text"
      inputMode={kind === 'integer' ? 'numeric' : 'decimal'}
      value={text}
      onChange={(e) => {
        const next = e.target.value;
        setText(next);
        const parsed = parseDraft(kind, next, prop);
        // a parse error keeps the stored value; a range error is shown from the stored value
        const unparsable = parsed.error !== null && parsed.value === undefined;
        onError(unparsable ? parsed.error : null);
        if (!unparsable) {
          setLastValue(parsed.value);
          onValue(parsed.value);
        }
      }}
      data-testid={testId}
    />
  );
}

function JsonField({
  prop,
  value,
  onValue,
  onError,
  testId,
  name,
}: {
  prop: JsonSchemaProperty;
  value: unknown;
  onValue: (v: unknown) => void;
  onError: (e: string | null) => void;
  testId: string;
  name: string;
}) {
  const [text, setText] = useState(() => formatDraft('json', value === undefined ? prop.default : value));
  const [lastValue, setLastValue] = useState(value);
  const [invalid, setInvalid] = useState(false);
  if (value !== lastValue) {
    setLastValue(value);
    setText(formatDraft('json', value === undefined ? prop.default : value));
  }
  return (
    <CodeEditor
      language="json"
      value={text}
      onChange={(next) => {
        setText(next);
        const parsed = parseDraft('json', next, prop);
        setInvalid(!!parsed.error);
        onError(parsed.error);
        if (!parsed.error) {
          setLastValue(parsed.value);
          onValue(parsed.value);
        }
      }}
      testId={testId}
      ariaLabel={name}
      minHeight={60}
      invalid={invalid}
    />
  );
}

function FieldListInput({
  id,
  value,
  available,
  onChange,
  testId,
}: {
  id: string;
  value: string[];
  available: string[];
  onChange: (v: unknown) => void;
  testId: string;
}) {
  const [text, setText] = useState('');
  const listId = `${id}-fields`;
  const add = () => {
    const f = text.trim();
    if (!f || value.includes(f)) return;
    onChange([...value, f]);
    setText('');
  };
  return (
    <div className="field-list" data-testid={testId}>
      <div className="chips">
        {value.map((f) => (
          <span key={f} className="chip" data-field={f}>
            {f}
            <button type="button" className="chip-remove" aria-label={`Remove ${f}`} onClick={() => onChange(value.filter((x) => x !== f))}>
              ×
            </button>
          </span>
        ))}
        {value.length === 0 && <span className="muted small">none</span>}
      </div>
      <div className="inline-form">
        <input
          id={id}
          className="input"
          list={listId}
          value={text}
          placeholder="add a field"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
          data-testid={`${testId}-new`}
          autoComplete="off"
        />
        <datalist id={listId}>
          {available
            .filter((f) => !value.includes(f))
            .map((f) => (
              <option key={f} value={f} />
            ))}
        </datalist>
        <button type="button" className="button small" onClick={add} data-testid={`${testId}-add`}>
          Add
        </button>
      </div>
    </div>
  );
}
