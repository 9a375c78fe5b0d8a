import { useMemo, useState } from 'react';
import type { BlockInfo, BlockLoadError } from '../api/types';
import { DRAG_MIME, groupBlocks } from './blocks';

interface Props {
  blocks: BlockInfo[];
  errors: BlockLoadError[];
  onAdd: (info: BlockInfo) => void;
}

export function Palette({ blocks, errors, onAdd }: Props) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => groupBlocks(blocks, query), [blocks, query]);
  return (
    <aside className="palette" data-testid="palette">
      <div className="panel-title">Blocks</div>
      <input
        type="search"
        className="input"
        placeholder="Search blocks…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
        aria-label="Search blocks"
      />
      <p className="small muted">Drag a block onto the canvas (or double-click it).</p>
      {errors.length > 0 && (
        <details className="block-errors" data-testid="block-load-errors" open>
          <summary>
            {errors.length} block file{errors.length === 1 ? '' : 's'} failed to load
          </summary>
          {errors.map((e) => (
            <div key={e.source} className="small">
              <code>{e.source}</code>: <span className="error-text">{e.error}</span>
            </div>
          ))}
        </details>
      )}
      <div className="palette-groups">
        {groups.map(([category, items]) => (
          <section key={category} className="palette-group" data-testid={`palette-category-${category}`}>
            <h3>{category}</h3>
            {items.map((b) => (
              <div
                key={b.type}
                className="palette-item"
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_MIME, b.type);
                  e.dataTransfer.setData('text/plain', b.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onDoubleClick={() => onAdd(b)}
                data-testid={`palette-item-${b.type}`}
                title={`${b.type} (${b.source})${b.documentation ? `\n\n${b.documentation}` : ''}`}
              >
                <div className="palette-item-head">
                  <span className="palette-item-name">{b.name}</span>
                  <button
                    type="button"
                    className="icon-button small"
                    aria-label={`Add ${b.name}`}
                    onClick={() => onAdd(b)}
                    data-testid={`palette-add-${b.type}`}
                  >
                    +
                  </button>
                </div>
                <div className="small muted">{b.description}</div>
                <div className="tiny muted">
                  {b.inputs.join(', ') || '—'} → {b.outputs.join(', ') || '—'}
                  {b.source !== 'builtin' && <span className="tag">{b.source}</span>}
                </div>
              </div>
            ))}
          </section>
        ))}
        {groups.length === 0 && <p className="muted small">No block matches “{query}”.</p>}
      </div>
    </aside>
  );
}
