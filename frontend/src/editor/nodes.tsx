import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { BlockNodeData } from './graph';
import type { FlowNode } from './store';
import { useEditorDerived } from './context';
import { missingRequired } from './schemaForm';
import { useEditorStore } from './store';

function FieldChips({ fields, openEnded, empty, testId }: { fields: string[]; openEnded?: boolean; empty: string; testId: string }) {
  if (!fields.length && !openEnded) {
    return (
      <div className="chips" data-testid={testId}>
        <span className="muted small">{empty}</span>
      </div>
    );
  }
  return (
    <div className="chips" data-testid={testId}>
      {fields.map((f) => (
        <span key={f} className="chip" data-field={f}>
          {f}
        </span>
      ))}
      {openEnded && (
        <span className="chip chip-wild" data-field="*" title="An upstream block may add any field">
          *
        </span>
      )}
    </div>
  );
}

/** The one generic node for every block type: what it shows comes from the registry's schema. */
export const BlockNode = memo(function BlockNode({ id, data, selected }: NodeProps<FlowNode>) {
  const d = data as BlockNodeData;
  const ctx = useEditorDerived();
  const draftErrors = useEditorStore((s) => s.draftErrors[id]);
  const info = ctx.blockInfo.get(d.blockType);
  const fields = ctx.fields.get(id);
  const missing = info ? missingRequired(info.config_schema, d.config) : [];
  const invalidDrafts = Object.keys(draftErrors ?? {});
  const connected = ctx.connected.has(id);
  const problems = ctx.problemsByBlock.get(d.blockId) ?? [];
  const classes = ['flow-node', 'block-node'];
  if (selected) classes.push('selected');
  if (problems.length) classes.push('has-problems');
  const inputs = info?.inputs ?? [];
  return (
    <div className={classes.join(' ')} data-testid={`node-${d.blockId}`} data-block-type={d.blockType}>
      <Handle type="target" position={Position.Top} className="handle" data-testid={`handle-in-${d.blockId}`} />
      <div className="node-header">
        <span className="node-title">{info?.name ?? d.blockType}</span>
        <span className="node-id" title="block id">
          {d.blockId}
        </span>
      </div>
      <div className="node-badges">
        {!info && (
          <span className="badge badge-error" data-testid="badge-unknown-type">
            Unknown block type
          </span>
        )}
        {(missing.length > 0 || invalidDrafts.length > 0) && (
          <span
            className="badge badge-warn"
            data-testid="badge-not-configured"
            title={[...missing.map((m) => `${m}: required`), ...invalidDrafts.map((f) => `${f}: invalid`)].join('\n')}
          >
            Not Configured
          </span>
        )}
        {!connected && (
          <span className="badge badge-muted" data-testid="badge-not-connected" title="Not on a path from Start to End">
            Not Connected
          </span>
        )}
        {problems.length > 0 && (
          <span className="badge badge-error" data-testid="node-problems" title={problems.map((p) => p.message).join('\n')}>
            {problems.length} problem{problems.length === 1 ? '' : 's'}
          </span>
        )}
      </div>
      <div className="node-section">
        <div className="node-label">
          State in{inputs.length && !inputs.includes('*') ? ` · needs ${inputs.join(', ')}` : inputs.includes('*') ? ' · reads all' : ''}
        </div>
        <FieldChips fields={fields?.available ?? []} openEnded={fields?.openEnded} empty="nothing yet" testId="node-available" />
      </div>
      <div className="node-section">
        <div className="node-label">Adds</div>
        <FieldChips
          fields={(fields?.outputs ?? []).filter((f) => f !== '*')}
          openEnded={(fields?.outputs ?? []).includes('*')}
          empty="—"
          testId="node-outputs"
        />
      </div>
      <Handle type="source" position={Position.Bottom} className="handle" data-testid={`handle-out-${d.blockId}`} />
    </div>
  );
});

export const StartNode = memo(function StartNode({ selected }: NodeProps<FlowNode>) {
  const ctx = useEditorDerived();
  return (
    <div className={`flow-node terminal-node start-node${selected ? ' selected' : ''}`} data-testid="node-start">
      <div className="node-header">
        <span className="node-title">Start</span>
        <span className="node-id">seed</span>
      </div>
      <FieldChips fields={ctx.seedFields} empty="no seed fields declared" testId="node-seed-fields" />
      <Handle type="source" position={Position.Bottom} className="handle" data-testid="handle-out-start" />
    </div>
  );
});

export const EndNode = memo(function EndNode({ id, selected }: NodeProps<FlowNode>) {
  const ctx = useEditorDerived();
  const fields = ctx.fields.get(id);
  return (
    <div className={`flow-node terminal-node end-node${selected ? ' selected' : ''}`} data-testid="node-end">
      <Handle type="target" position={Position.Top} className="handle" data-testid="handle-in-end" />
      <div className="node-header">
        <span className="node-title">End</span>
        <span className="node-id">record</span>
      </div>
      <FieldChips fields={fields?.available ?? []} openEnded={fields?.openEnded} empty="empty state" testId="node-available" />
    </div>
  );
});

