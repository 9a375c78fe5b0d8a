import { useEffect, useState } from 'react';
import type { BlockInfo, Problem } from '../api/types';
import { CodeEditor } from '../components/CodeEditor';
import { blockIdError, isBlockNode, type BlockNodeData, type GraphNode, type NodeFields } from './graph';
import { FieldWidget } from './FieldWidget';
import { orderedProperties } from './schemaForm';
import { useEditorStore, type FlowNode } from './store';

interface Props {
  node: FlowNode;
  info: BlockInfo | undefined;
  fields: NodeFields | undefined;
  problems: Problem[];
  onClose: () => void;
}

/** The side panel of the selected block: a form generated from the block's JSON Schema. */
export function ConfigPanel({ node, info, fields, problems, onClose }: Props) {
  const data = node.data as BlockNodeData;
  const updateConfig = useEditorStore((s) => s.updateConfig);
  const replaceConfig = useEditorStore((s) => s.replaceConfig);
  const setDraftError = useEditorStore((s) => s.setDraftError);
  const deleteNode = useEditorStore((s) => s.deleteNode);
  const required = new Set(info?.config_schema.required ?? []);
  const available = fields?.available ?? [];

  return (
    <aside className="side-panel config-panel" data-testid="config-panel" data-node-id={node.id} data-block-id={data.blockId}>
      <div className="panel-header">
        <div>
          <div className="panel-title">{info?.name ?? data.blockType}</div>
          <div className="tiny muted">
            {data.blockType}
            {info && info.source !== 'builtin' ? ` · ${info.source}` : ''}
          </div>
        </div>
        <button type="button" className="icon-button" aria-label="Close panel" onClick={onClose} data-testid="config-close">
          ×
        </button>
      </div>
      {info?.description && <p className="small muted">{info.description}</p>}
      {info?.documentation && info.documentation !== info.description && (
        <details className="small block-docs" data-testid="config-docs">
          <summary className="muted">More about this block</summary>
          <div className="docs-text">{info.documentation}</div>
        </details>
      )}
      <BlockIdField nodeId={node.id} blockId={data.blockId} />
      {problems.length > 0 && (
        <ul className="problem-list compact" data-testid="config-problems">
          {problems.map((p, i) => (
            <li key={i} className="error-text small">
              {p.field ? <code>{p.field}</code> : null} {p.message}
            </li>
          ))}
        </ul>
      )}
      <div className="io-summary small">
        <div>
          <span className="muted">Reads:</span> {info?.inputs.join(', ') || '—'}
        </div>
        <div>
          <span className="muted">Adds:</span> {info?.outputs.join(', ') || '—'}
        </div>
        <div>
          <span className="muted">Available here:</span> {available.join(', ') || 'nothing yet'}
          {fields?.openEnded ? ', *' : ''}
        </div>
      </div>
      {info ? (
        <div className="config-form" key={node.id}>
          {orderedProperties(info.config_schema).map(([key, prop]) => (
            <FieldWidget
              key={`${node.id}:${key}`}
              name={key}
              prop={prop}
              required={required.has(key)}
              value={data.config[key]}
              onChange={(v) => updateConfig(node.id, key, v)}
              available={available}
              openEnded={fields?.openEnded ?? false}
              onDraftError={(err) => setDraftError(node.id, key, err)}
            />
          ))}
          {orderedProperties(info.config_schema).length === 0 && <p className="muted small">This block has no settings.</p>}
        </div>
      ) : (
        <RawConfig key={node.id} config={data.config} onChange={(c) => replaceConfig(node.id, c)} />
      )}
      <div className="panel-footer">
        <button type="button" className="button danger" onClick={() => deleteNode(node.id)} data-testid="config-delete-block">
          Delete block
        </button>
      </div>
    </aside>
  );
}

function BlockIdField({ nodeId, blockId }: { nodeId: string; blockId: string }) {
  const nodes = useEditorStore((s) => s.nodes);
  const setBlockId = useEditorStore((s) => s.setBlockId);
  const setDraftError = useEditorStore((s) => s.setDraftError);
  const [text, setText] = useState(blockId);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => () => setDraftError(nodeId, '__id__', null), [nodeId, setDraftError]);
  const others = (nodes as GraphNode[])
    .filter((n) => isBlockNode(n) && n.id !== nodeId)
    .map((n) => (n.data as BlockNodeData).blockId);
  return (
    <div className={`form-field${error ? ' has-error' : ''}`} data-testid="config-field-block-id">
      <label className="form-label" htmlFor={`block-id-${nodeId}`}>
        Block id
      </label>
      <input
        id={`block-id-${nodeId}`}
        className="input"
        value={text}
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          const err = blockIdError(next, others);
          setError(err);
          setDraftError(nodeId, '__id__', err);
          if (!err) setBlockId(nodeId, next);
        }}
        data-testid="config-block-id"
        autoComplete="off"
      />
      <div className="help-text">Unique in the pipeline; traces and problems name blocks by it.</div>
      {error && (
        <div className="error-text small" data-testid="config-error-block-id">
          {error}
        </div>
      )}
    </div>
  );
}

function RawConfig({ config, onChange }: { config: Record<string, unknown>; onChange: (c: Record<string, unknown>) => void }) {
  const [text, setText] = useState(() => JSON.stringify(config, null, 2));
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="form-field">
      <p className="warn-text small">This block type is not installed on the server: its config is shown as raw JSON.</p>
      <CodeEditor
        language="json"
        value={text}
        onChange={(next) => {
          setText(next);
          try {
            const parsed: unknown = JSON.parse(next);
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Expected a JSON object');
            setError(null);
            onChange(parsed as Record<string, unknown>);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
        testId="config-raw"
        invalid={!!error}
      />
      {error && <div className="error-text small">{error}</div>}
    </div>
  );
}
