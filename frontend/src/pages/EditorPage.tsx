import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useBlocker, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Background,
  ControlButton,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type IsValidConnection,
} from '@xyflow/react';
import { api, ApiError, errorMessage } from '../api/client';
import type { BlockInfo, Problem } from '../api/types';
import { ConfirmDialog } from '../components/Modal';
import { Spinner } from '../components/Spinner';
import { ConfigPanel } from '../editor/ConfigPanel';
import { EditorContext, type EditorDerived } from '../editor/context';
import {
  accumulatedFields,
  canConnect,
  connectedNodes,
  END_ID,
  START_ID,
  type BlockNodeData,
  type GraphNode,
  type ServerFields,
} from '../editor/graph';
import { nodeTypes } from '../editor/nodeTypes';
import { DRAG_MIME } from '../editor/blocks';
import { Palette } from '../editor/Palette';
import { PipelinePanel } from '../editor/PipelinePanel';
import { useEditorStore } from '../editor/store';
import { TryPanel } from '../editor/TryPanel';
import { isTypingTarget } from '../lib/keys';

/** About the size of a new block's node (before it is measured). */
const NEW_NODE_SIZE = { width: 230, height: 120 };
/** How the view fits the pipeline: on load, after auto-layout, and with the "fit view" control. */
const FIT_OPTIONS = { padding: 0.2, maxZoom: 1 };

type Status = { kind: 'ok' | 'error' | 'info'; text: string } | null;

export function EditorPage() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}

function Editor() {
  const { id = 'new' } = useParams();
  const isNew = id === 'new';
  const routeId = isNew ? null : Number(id);
  const navigate = useNavigate();
  const qc = useQueryClient();

  const blocksQ = useQuery({ queryKey: ['blocks'], queryFn: api.blocks });
  const pipelineQ = useQuery({
    queryKey: ['pipeline', routeId],
    queryFn: () => api.pipeline(routeId!),
    enabled: routeId !== null && Number.isFinite(routeId),
  });

  const loadedKey = useEditorStore((s) => s.loadedKey);
  const load = useEditorStore((s) => s.load);
  const loadNew = useEditorStore((s) => s.loadNew);
  const reset = useEditorStore((s) => s.reset);
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  const seedFields = useEditorStore((s) => s.seedFields);
  const problems = useEditorStore((s) => s.problems);
  const selectedNodeId = useEditorStore((s) => s.selectedNodeId);
  const select = useEditorStore((s) => s.select);
  const name = useEditorStore((s) => s.name);
  const setName = useEditorStore((s) => s.setName);
  const dirty = useEditorStore((s) => s.dirty);
  const pipelineId = useEditorStore((s) => s.pipelineId);
  const setProblems = useEditorStore((s) => s.setProblems);
  const layout = useEditorStore((s) => s.layout);
  const addBlock = useEditorStore((s) => s.addBlock);
  const undo = useEditorStore((s) => s.undo);
  const redo = useEditorStore((s) => s.redo);
  const canUndo = useEditorStore((s) => s.history.past.length > 0);
  const canRedo = useEditorStore((s) => s.history.future.length > 0);

  const [status, setStatus] = useState<Status>(null);
  const [saving, setSaving] = useState(false);
  const [tryOpen, setTryOpen] = useState(false);
  const [liveValidate, setLiveValidate] = useState(false);
  const [serverCheck, setServerCheck] = useState<{ key: string; fields: ServerFields } | null>(null);

  useEffect(() => {
    if (isNew) loadNew();
  }, [isNew, loadNew]);
  useEffect(() => () => reset(), [reset]);
  useEffect(() => {
    if (routeId !== null && pipelineQ.data && loadedKey !== String(routeId)) {
      load(routeId, pipelineQ.data.definition);
    }
  }, [routeId, pipelineQ.data, loadedKey, load]);

  const blockInfo = useMemo(
    () => new Map<string, BlockInfo>((blocksQ.data?.blocks ?? []).map((b) => [b.type, b])),
    [blocksQ.data],
  );
  // the server's view of the current definition: fields per block (and, once a save has shown
  // problems, the problems, kept current as the pipeline changes)
  const definitionKey = useEditorStore((s) => (s.loadedKey ? JSON.stringify({ ...s.definition(), layout: null }) : ''));
  const blocksReady = !!blocksQ.data;
  useEffect(() => {
    if (!definitionKey || !blocksReady) return;
    let stale = false;
    const handle = setTimeout(() => {
      const def = useEditorStore.getState().definition();
      api
        .validatePipeline(def)
        .then((v) => {
          if (stale) return;
          const outputs = v.blocks
            ? Object.fromEntries(Object.entries(v.blocks).map(([k, b]) => [k, b.outputs]))
            : undefined;
          setServerCheck({ key: definitionKey, fields: { available: v.fields, outputs } });
          if (liveValidate) {
            setProblems(v.problems);
            // keep the toolbar's word in line with the list
            setStatus((st) =>
              st?.kind === 'error' && st.text.startsWith('Not saved:') && v.problems.length === 0
                ? { kind: 'info', text: 'No problems left: ready to save.' }
                : st,
            );
          }
        })
        .catch(() => undefined);
    }, 400);
    return () => {
      stale = true;
      clearTimeout(handle);
    };
  }, [definitionKey, blocksReady, liveValidate, setProblems]);
  const serverFields = serverCheck && serverCheck.key === definitionKey ? serverCheck.fields : undefined;

  const derived: EditorDerived = useMemo(() => {
    const problemsByBlock = new Map<string, Problem[]>();
    for (const p of problems) {
      if (!p.block_id) continue;
      if (!problemsByBlock.has(p.block_id)) problemsByBlock.set(p.block_id, []);
      problemsByBlock.get(p.block_id)!.push(p);
    }
    return {
      blockInfo,
      fields: accumulatedFields(nodes as GraphNode[], edges, blockInfo, seedFields, serverFields),
      connected: connectedNodes(nodes as GraphNode[], edges),
      problemsByBlock,
      seedFields,
    };
  }, [blockInfo, nodes, edges, seedFields, problems, serverFields]);

  const save = useCallback(async (): Promise<number | null> => {
    const s = useEditorStore.getState();
    if (Object.keys(s.draftErrors).length) {
      setStatus({ kind: 'error', text: 'Some fields hold invalid values: fix them before saving.' });
      return null;
    }
    const def = s.definition();
    if (!def.name) {
      setStatus({ kind: 'error', text: 'Give the pipeline a name.' });
      return null;
    }
    setSaving(true);
    setStatus({ kind: 'info', text: 'Validating…' });
    try {
      const v = await api.validatePipeline(def);
      s.setProblems(v.problems);
      setLiveValidate(true);
      if (!v.valid) {
        setStatus({
          kind: 'error',
          text: `Not saved: ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} to fix.`,
        });
        return null;
      }
      const saved = s.pipelineId ? await api.updatePipeline(s.pipelineId, def) : await api.createPipeline(def);
      s.markSaved(saved.id);
      qc.setQueryData(['pipeline', saved.id], saved);
      void qc.invalidateQueries({ queryKey: ['pipelines'] });
      setStatus({ kind: 'ok', text: 'Saved.' });
      if (String(saved.id) !== id) navigate(`/pipelines/${saved.id}`, { replace: true });
      return saved.id;
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail?.problems)) {
        s.setProblems(err.detail.problems as Problem[]);
        setLiveValidate(true);
      }
      setStatus({ kind: 'error', text: `Not saved: ${errorMessage(err)}` });
      return null;
    } finally {
      setSaving(false);
    }
  }, [id, navigate, qc]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 's') {
        e.preventDefault();
        void save();
        return;
      }
      // text fields and code editors keep their own undo
      if ((key === 'z' || key === 'y') && !isTypingTarget(e.target)) {
        e.preventDefault();
        if (key === 'z' && !e.shiftKey) undo();
        else redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save, undo, redo]);

  // unsaved changes: ask before leaving the editor (in the app) or the page (reload, close)
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      useEditorStore.getState().dirty && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!useEditorStore.getState().dirty) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  const runTry = useCallback(
    async (metadata: Record<string, unknown>) => {
      const s = useEditorStore.getState();
      let pid = s.pipelineId;
      if (!pid || s.dirty) pid = await save();
      if (!pid) throw new Error('The pipeline must be saved before it can run: see the problems listed.');
      return api.executePipeline(pid, metadata);
    },
    [save],
  );

  const { setCenter, getZoom } = useReactFlow();
  const addBelow = useCallback(
    (info: BlockInfo) => {
      const blockNodes = useEditorStore.getState().nodes.filter((n) => n.type === 'block');
      const maxY = blockNodes.length ? Math.max(...blockNodes.map((n) => n.position.y)) : 0;
      const position = { x: 40 * (blockNodes.length % 4), y: maxY + 190 };
      addBlock(info, position);
      // below every block may be out of view (or under the minimap): bring the new block to the centre
      void setCenter(position.x + NEW_NODE_SIZE.width / 2, position.y + NEW_NODE_SIZE.height / 2, {
        zoom: getZoom(),
        duration: 200,
      });
    },
    [addBlock, setCenter, getZoom],
  );

  if (routeId !== null && (pipelineQ.error || Number.isNaN(routeId))) {
    return (
      <div className="page" data-testid="editor-load-error">
        <h1>Pipeline not found</h1>
        <p className="error-text">{pipelineQ.error ? errorMessage(pipelineQ.error) : `"${id}" is not a pipeline id.`}</p>
        <Link to="/pipelines">Back to pipelines</Link>
      </div>
    );
  }
  const ready = loadedKey !== null && (isNew ? loadedKey === 'new' : loadedKey === String(routeId));
  const selectedNode = nodes.find((n) => n.id === selectedNodeId);
  const selectedBlock = selectedNode?.type === 'block' ? selectedNode : undefined;

  return (
    <EditorContext.Provider value={derived}>
      <div className="editor" data-testid="page-editor" data-pipeline-id={pipelineId ?? ''}>
        <div className="editor-toolbar">
          <Link to="/pipelines" className="muted-link small">
            ← Pipelines
          </Link>
          <input
            className="input name-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Pipeline name"
            aria-label="Pipeline name"
            data-testid="pipeline-name"
          />
          {dirty ? (
            <span className="tag tag-warn" data-testid="dirty-indicator">
              unsaved
            </span>
          ) : pipelineId ? (
            <span className="tag" data-testid="saved-indicator">
              saved #{pipelineId}
            </span>
          ) : null}
          <div className="toolbar-spacer" />
          {status && (
            <span className={`status-text ${status.kind}`} data-testid="save-status" data-kind={status.kind}>
              {status.text}
            </span>
          )}
          <button type="button" className="button" onClick={undo} disabled={!canUndo} data-testid="editor-undo" title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" className="button" onClick={redo} disabled={!canRedo} data-testid="editor-redo" title="Redo (Ctrl+Shift+Z or Ctrl+Y)">
            Redo
          </button>
          <button type="button" className="button" onClick={layout} data-testid="auto-layout" title="Arrange the blocks by depth">
            Auto-layout
          </button>
          <button
            type="button"
            className={`button${tryOpen ? ' active' : ''}`}
            onClick={() => setTryOpen((o) => !o)}
            data-testid="try-it"
          >
            Try it
          </button>
          {pipelineId && !dirty && (
            <Link to={`/generator?pipeline=${pipelineId}`} className="button" data-testid="editor-generate">
              Generate
            </Link>
          )}
          <button type="button" className="button primary" onClick={() => void save()} disabled={saving} data-testid="save-pipeline">
            {saving ? <Spinner small /> : null} Save
          </button>
        </div>
        <div className="editor-body">
          <Palette blocks={blocksQ.data?.blocks ?? []} errors={blocksQ.data?.errors ?? []} onAdd={addBelow} />
          <div className="canvas-wrap">
            {ready ? <Canvas blockInfo={blockInfo} /> : <div className="center"><Spinner /></div>}
            {blocksQ.error && <div className="canvas-overlay error-text">Could not load blocks: {errorMessage(blocksQ.error)}</div>}
            {problems.length > 0 && <ProblemList problems={problems} onPick={(blockId) => selectByBlockId(blockId, select)} />}
          </div>
          {tryOpen ? (
            <TryPanel seedFields={seedFields} onRun={runTry} onClose={() => setTryOpen(false)} />
          ) : selectedBlock ? (
            <ConfigPanel
              key={selectedBlock.id}
              node={selectedBlock}
              info={blockInfo.get((selectedBlock.data as BlockNodeData).blockType)}
              fields={derived.fields.get(selectedBlock.id)}
              problems={derived.problemsByBlock.get((selectedBlock.data as BlockNodeData).blockId) ?? []}
              onClose={() => select(null)}
            />
          ) : (
            <PipelinePanel blockCount={nodes.filter((n) => n.type === 'block').length} />
          )}
        </div>
      </div>
      {blocker.state === 'blocked' && (
        <ConfirmDialog
          title="Unsaved changes"
          message="Leave this pipeline without saving your changes?"
          confirmLabel="Leave"
          danger
          onConfirm={() => blocker.proceed()}
          onCancel={() => blocker.reset()}
        />
      )}
    </EditorContext.Provider>
  );
}

function selectByBlockId(blockId: string | null, select: (id: string | null) => void) {
  if (!blockId) return;
  const node = useEditorStore.getState().nodes.find((n) => n.type === 'block' && (n.data as BlockNodeData).blockId === blockId);
  if (node) {
    useEditorStore.setState((s) => ({ nodes: s.nodes.map((n) => ({ ...n, selected: n.id === node.id })) }));
    select(node.id);
  }
}

function ProblemList({ problems, onPick }: { problems: Problem[]; onPick: (blockId: string | null) => void }) {
  const [open, setOpen] = useState(true);
  return (
    <div className="problems" data-testid="problems-list">
      <button type="button" className="problems-head" onClick={() => setOpen((o) => !o)}>
        {problems.length} problem{problems.length === 1 ? '' : 's'} {open ? '▾' : '▸'}
      </button>
      {open && (
        <ul>
          {problems.map((p, i) => (
            <li key={i} data-testid="problem-item" data-block-id={p.block_id ?? ''} data-kind={p.kind}>
              <button type="button" className="link-button" onClick={() => onPick(p.block_id)} disabled={!p.block_id}>
                {p.block_id ? <code>{p.block_id}</code> : <code>pipeline</code>}
              </button>{' '}
              {p.field && <code className="muted">{p.field}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Canvas({ blockInfo }: { blockInfo: Map<string, BlockInfo> }) {
  const { screenToFlowPosition, fitView } = useReactFlow();
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  const onNodesChange = useEditorStore((s) => s.onNodesChange);
  const onEdgesChange = useEditorStore((s) => s.onEdgesChange);
  const onConnect = useEditorStore((s) => s.onConnect);
  const addBlock = useEditorStore((s) => s.addBlock);
  const select = useEditorStore((s) => s.select);
  const fitRequest = useEditorStore((s) => s.fitRequest);
  const initialized = useNodesInitialized();
  const fitted = useRef(-1);

  const layoutPending = useEditorStore((s) => s.layoutPending);
  const layoutMeasured = useEditorStore((s) => s.layoutMeasured);
  useEffect(() => {
    if (initialized && layoutPending) layoutMeasured();
  }, [initialized, layoutPending, layoutMeasured]);

  useEffect(() => {
    if (initialized && !layoutPending && fitted.current !== fitRequest) {
      fitted.current = fitRequest;
      void fitView(FIT_OPTIONS);
    }
  }, [initialized, layoutPending, fitRequest, fitView]);

  // edges carry the block ids they join (`start`, `end`: the terminals), for tests and assistive tech
  const blockIdKey = useEditorStore((s) =>
    s.nodes
      .map((n) => `${n.id}=${n.id === START_ID ? 'start' : n.id === END_ID ? 'end' : (n.data as BlockNodeData).blockId}`)
      .join('\n'),
  );
  const flowEdges = useMemo(() => {
    const blockIds = new Map(blockIdKey.split('\n').map((kv) => kv.split('=') as [string, string]));
    return edges.map((e) => {
      const source = blockIds.get(e.source) ?? e.source;
      const target = blockIds.get(e.target) ?? e.target;
      return {
        ...e,
        ariaLabel: `Edge from ${source} to ${target}`,
        domAttributes: { 'data-testid': 'edge', 'data-source': source, 'data-target': target } as Edge['domAttributes'],
      };
    });
  }, [edges, blockIdKey]);

  const isValidConnection: IsValidConnection = useCallback(
    (c: Edge | Connection) => canConnect(useEditorStore.getState().edges, c.source, c.target),
    [],
  );

  return (
    <div
      className="canvas"
      data-testid="canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_MIME) || e.dataTransfer.types.includes('text/plain')) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDrop={(e) => {
        const type = e.dataTransfer.getData(DRAG_MIME) || e.dataTransfer.getData('text/plain');
        const info = blockInfo.get(type);
        if (!info) return;
        e.preventDefault();
        const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
        addBlock(info, { x: p.x - NEW_NODE_SIZE.width / 2, y: p.y - 30 });
      }}
    >
      <ReactFlow
        nodes={nodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onSelectionChange={({ nodes: sel }) => select(sel.length === 1 ? sel[0].id : null)}
        deleteKeyCode={['Delete', 'Backspace']}
        defaultEdgeOptions={{ markerEnd: { type: MarkerType.ArrowClosed }, type: 'smoothstep' }}
        minZoom={0.2}
        maxZoom={2}
        fitView
      >
        <Background gap={20} />
        <CanvasControls />
        <div className="minimap-holder" data-testid="canvas-minimap">
          <MiniMap
            pannable
            zoomable
            ariaLabel="Overview of the pipeline"
            nodeColor={(n) => (n.id === START_ID ? '#16a34a' : n.id === END_ID ? '#64748b' : '#3b82f6')}
          />
        </div>
      </ReactFlow>
    </div>
  );
}

/** Zoom in / out, fit the view, and the zoom level (a click on it goes back to 100%). */
function CanvasControls() {
  const { zoomIn, zoomOut, zoomTo, fitView } = useReactFlow();
  const zoom = useStore((s) => s.transform[2]);
  const minZoom = useStore((s) => s.minZoom);
  const maxZoom = useStore((s) => s.maxZoom);
  return (
    <Controls showZoom={false} showFitView={false} showInteractive={false}>
      <ControlButton onClick={() => void zoomIn({ duration: 150 })} disabled={zoom >= maxZoom} title="Zoom in" aria-label="Zoom in" data-testid="canvas-zoom-in">
        +
      </ControlButton>
      <ControlButton onClick={() => void zoomOut({ duration: 150 })} disabled={zoom <= minZoom} title="Zoom out" aria-label="Zoom out" data-testid="canvas-zoom-out">
        −
      </ControlButton>
      <ControlButton onClick={() => void fitView({ ...FIT_OPTIONS, duration: 200 })} title="Fit view" aria-label="Fit view" data-testid="canvas-fit-view">
        ⤢
      </ControlButton>
      <ControlButton
        onClick={() => void zoomTo(1, { duration: 150 })}
        className="zoom-level"
        title="Zoom level (click for 100%)"
        aria-label="Zoom level"
        data-testid="canvas-zoom-level"
        data-zoom={zoom.toFixed(3)}
      >
        {Math.round(zoom * 100)}%
      </ControlButton>
    </Controls>
  );
}
