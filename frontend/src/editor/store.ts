import { create } from 'zustand';
import {
  addEdge as rfAddEdge,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
} from '@xyflow/react';
import type { BlockInfo, PipelineDefinition, Problem } from '../api/types';
import {
  autoLayout,
  canConnect,
  definitionToGraph,
  edgeId,
  END_ID,
  graphToDefinition,
  isBlockNode,
  newNodeId,
  START_ID,
  uniqueBlockId,
  type BlockNodeData,
  type GraphNode,
} from './graph';
import { emptyHistory, recordChange, step, type History } from './history';

export type FlowNode = Node<Record<string, unknown>>;

interface EditorState {
  /** What is loaded: "new", a pipeline id, or null (nothing yet). */
  loadedKey: string | null;
  pipelineId: number | null;
  name: string;
  /** Kept as loaded (templates have one); not edited in the UI. */
  description: string;
  seedFields: string[];
  nodes: FlowNode[];
  edges: Edge[];
  selectedNodeId: string | null;
  dirty: boolean;
  problems: Problem[];
  /** Invalid drafts typed in the config panel, per node and field: saving waits for them. */
  draftErrors: Record<string, Record<string, string>>;
  /** Bumped to ask the canvas to fit the view (after load or layout). */
  fitRequest: number;
  /** A definition loaded without positions: lay it out again once ReactFlow measured the nodes. */
  layoutPending: boolean;
  history: History;

  reset: () => void;
  loadNew: () => void;
  load: (id: number, def: PipelineDefinition) => void;
  onNodesChange: (changes: NodeChange<FlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  onConnect: (connection: Connection) => void;
  addBlock: (info: BlockInfo, position: { x: number; y: number }) => string;
  updateConfig: (nodeId: string, key: string, value: unknown) => void;
  replaceConfig: (nodeId: string, config: Record<string, unknown>) => void;
  setBlockId: (nodeId: string, blockId: string) => void;
  setDraftError: (nodeId: string, key: string, error: string | null) => void;
  deleteNode: (nodeId: string) => void;
  select: (nodeId: string | null) => void;
  setName: (name: string) => void;
  setSeedFields: (fields: string[]) => void;
  layout: () => void;
  /** The automatic layout after load: like `layout` but does not make the pipeline dirty. */
  layoutMeasured: () => void;
  setProblems: (problems: Problem[]) => void;
  markSaved: (id: number) => void;
  definition: () => PipelineDefinition;
  undo: () => void;
  redo: () => void;
}

function terminalNodes(): FlowNode[] {
  return [
    { id: START_ID, type: 'start', position: { x: 0, y: 0 }, data: {}, deletable: false },
    { id: END_ID, type: 'end', position: { x: 0, y: 380 }, data: {}, deletable: false },
  ];
}

const empty = {
  loadedKey: null,
  pipelineId: null,
  name: '',
  description: '',
  seedFields: [] as string[],
  nodes: [] as FlowNode[],
  edges: [] as Edge[],
  selectedNodeId: null,
  dirty: false,
  problems: [] as Problem[],
  draftErrors: {} as Record<string, Record<string, string>>,
  layoutPending: false,
  history: emptyHistory(),
};

/** A node removed with the keyboard takes its edges in a second change: one undo step for both. */
const DELETE_WINDOW_MS = 100;

/** The history after a change of the pipeline in `s` (`key`: changes of one kind in a row are one step). */
function changed(s: EditorState, key: string | null = null, windowMs?: number): { history: History; dirty: true } {
  return { history: recordChange(s.history, s, key, Date.now(), windowMs), dirty: true };
}

/** Defaults of a block's config, filled in when the block is dropped (what you see is what runs). */
export function defaultConfig(info: BlockInfo): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(info.config_schema?.properties ?? {})) {
    if (prop.default !== undefined && prop.default !== null) config[key] = structuredClone(prop.default);
  }
  return config;
}

export const useEditorStore = create<EditorState>()((set, get) => ({
  ...empty,
  fitRequest: 0,

  reset: () => set({ ...empty }),

  loadNew: () =>
    set((s) => ({
      ...empty,
      loadedKey: 'new',
      name: 'Untitled pipeline',
      nodes: terminalNodes(),
      fitRequest: s.fitRequest + 1,
    })),

  load: (id, def) => {
    const graph = definitionToGraph(def);
    set((s) => ({
      ...empty,
      loadedKey: String(id),
      pipelineId: id,
      name: def.name,
      description: def.description ?? '',
      seedFields: [...(def.seed_fields ?? [])],
      nodes: graph.nodes as FlowNode[],
      edges: graph.edges.map((e) => ({ ...e })),
      layoutPending: graph.needsLayout,
      fitRequest: s.fitRequest + 1,
    }));
  },

  onNodesChange: (changes) => {
    const kept = changes.filter((c) => !(c.type === 'remove' && (c.id === START_ID || c.id === END_ID)));
    const removed = new Set(kept.filter((c) => c.type === 'remove').map((c) => c.id));
    const moved = kept.filter((c) => c.type === 'position').map((c) => c.id);
    const structural = removed.size > 0 || moved.length > 0 || kept.some((c) => c.type === 'add' || c.type === 'replace');
    set((s) => {
      const nodes = applyNodeChanges(kept, s.nodes);
      const draftErrors = { ...s.draftErrors };
      removed.forEach((id) => delete draftErrors[id]);
      const history = removed.size
        ? changed(s, 'delete', DELETE_WINDOW_MS)
        : moved.length
          ? changed(s, `move:${moved.join(',')}`)
          : structural
            ? changed(s)
            : {};
      return {
        nodes,
        edges: removed.size ? s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : s.edges,
        selectedNodeId: s.selectedNodeId && removed.has(s.selectedNodeId) ? null : s.selectedNodeId,
        draftErrors,
        ...history,
      };
    });
  },

  onEdgesChange: (changes) => {
    set((s) => {
      const present = new Set(s.edges.map((e) => e.id));
      // edges of a removed node are already gone: their removal changes nothing more
      const effective = changes.filter((c) => c.type !== 'remove' || present.has(c.id));
      const removal = effective.some((c) => c.type === 'remove');
      const structural = removal || effective.some((c) => c.type === 'add' || c.type === 'replace');
      const history = removal ? changed(s, 'delete', DELETE_WINDOW_MS) : structural ? changed(s) : {};
      return { edges: applyEdgeChanges(effective, s.edges), ...history };
    });
  },

  onConnect: (connection) => {
    const { edges } = get();
    if (!canConnect(edges, connection.source, connection.target)) return;
    set((s) => ({
      edges: rfAddEdge({ ...connection, id: edgeId(connection.source, connection.target) }, s.edges),
      ...changed(s),
    }));
  },

  addBlock: (info, position) => {
    const { nodes } = get();
    const taken = nodes.filter(isBlockNode as (n: FlowNode) => boolean).map((n) => (n.data as BlockNodeData).blockId);
    const id = newNodeId();
    const data: BlockNodeData = {
      blockId: uniqueBlockId(info.type, taken),
      blockType: info.type,
      config: defaultConfig(info),
    };
    const node: FlowNode = { id, type: 'block', position, data, selected: true };
    set((s) => ({
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
      edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      selectedNodeId: id,
      ...changed(s),
    }));
    return id;
  },

  updateConfig: (nodeId, key, value) =>
    set((s) => ({
      nodes: s.nodes.map((n) => {
        if (n.id !== nodeId || n.type !== 'block') return n;
        const data = n.data as BlockNodeData;
        const config = { ...data.config };
        if (value === undefined) delete config[key];
        else config[key] = value;
        return { ...n, data: { ...data, config } };
      }),
      ...changed(s, `config:${nodeId}:${key}`),
    })),

  replaceConfig: (nodeId, config) =>
    set((s) => ({
      nodes: s.nodes.map((n) => (n.id === nodeId && n.type === 'block' ? { ...n, data: { ...n.data, config } } : n)),
      ...changed(s, `config:${nodeId}:*`),
    })),

  setBlockId: (nodeId, blockId) =>
    set((s) => ({
      nodes: s.nodes.map((n) => (n.id === nodeId && n.type === 'block' ? { ...n, data: { ...n.data, blockId } } : n)),
      ...changed(s, `id:${nodeId}`),
    })),

  setDraftError: (nodeId, key, error) =>
    set((s) => {
      const current = s.draftErrors[nodeId]?.[key];
      if ((current ?? null) === error) return s;
      const forNode = { ...(s.draftErrors[nodeId] ?? {}) };
      if (error) forNode[key] = error;
      else delete forNode[key];
      const draftErrors = { ...s.draftErrors, [nodeId]: forNode };
      if (!Object.keys(forNode).length) delete draftErrors[nodeId];
      return { draftErrors };
    }),

  deleteNode: (nodeId) => {
    if (nodeId === START_ID || nodeId === END_ID) return;
    set((s) => {
      const draftErrors = { ...s.draftErrors };
      delete draftErrors[nodeId];
      return {
        nodes: s.nodes.filter((n) => n.id !== nodeId),
        edges: s.edges.filter((e) => e.source !== nodeId && e.target !== nodeId),
        selectedNodeId: s.selectedNodeId === nodeId ? null : s.selectedNodeId,
        draftErrors,
        ...changed(s),
      };
    });
  },

  select: (nodeId) => set({ selectedNodeId: nodeId }),

  setName: (name) => set((s) => ({ name, ...changed(s, 'name') })),

  setSeedFields: (seedFields) => set((s) => ({ seedFields, ...changed(s, 'seedFields') })),

  layout: () =>
    set((s) => ({
      nodes: autoLayout(s.nodes as GraphNode[], s.edges) as FlowNode[],
      ...changed(s),
      fitRequest: s.fitRequest + 1,
    })),

  layoutMeasured: () =>
    set((s) => ({
      nodes: autoLayout(s.nodes as GraphNode[], s.edges) as FlowNode[],
      layoutPending: false,
      fitRequest: s.fitRequest + 1,
    })),

  setProblems: (problems) => set({ problems }),

  markSaved: (id) => set({ pipelineId: id, loadedKey: String(id), dirty: false }),

  undo: () => set((s) => travel(s, 'undo')),

  redo: () => set((s) => travel(s, 'redo')),

  definition: () => {
    const s = get();
    const def = graphToDefinition(s.name, s.seedFields, s.nodes as GraphNode[], s.edges);
    return s.description ? { ...def, description: s.description } : def;
  },
}));

/** The state after undo or redo: the snapshot's pipeline, the selection kept where it still exists. */
function travel(s: EditorState, direction: 'undo' | 'redo'): Partial<EditorState> {
  const moved = step(s.history, s, direction);
  if (!moved) return {};
  const { to, history } = moved;
  const selectedNodeId = to.nodes.some((n) => n.id === s.selectedNodeId) ? s.selectedNodeId : null;
  return {
    ...to,
    nodes: to.nodes.map((n) => ((n.id === selectedNodeId) === !!n.selected ? n : { ...n, selected: n.id === selectedNodeId })),
    edges: to.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    selectedNodeId,
    history,
    draftErrors: {},
    dirty: true,
  };
}
