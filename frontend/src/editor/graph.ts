// Pure graph logic of the visual editor: ReactFlow nodes/edges <-> PipelineDefinition,
// accumulated-state display, connection status, auto-layout. No React here.
import type { BlockDefinition, BlockInfo, Edge as DefEdge, PipelineDefinition, Position } from '../api/types';

export const START_ID = '__start__';
export const END_ID = '__end__';

export interface BlockNodeData {
  [key: string]: unknown;
  blockId: string;
  blockType: string;
  config: Record<string, unknown>;
}

/** The subset of a ReactFlow node the logic needs (ReactFlow's Node type satisfies it). */
export interface GraphNode {
  id: string;
  type?: string;
  position: Position;
  data: Record<string, unknown>;
  deletable?: boolean;
  measured?: { width?: number; height?: number };
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export type BlockNode = GraphNode & { type: 'block'; data: BlockNodeData };

export function isBlockNode(node: GraphNode): node is BlockNode {
  return node.type === 'block';
}

export function edgeId(source: string, target: string): string {
  return `e:${source}->${target}`;
}

export function makeEdge(source: string, target: string): GraphEdge {
  return { id: edgeId(source, target), source, target };
}

/** "LLMBlock" -> "llm_block", "JSONValidatorBlock" -> "json_validator_block". */
export function slugFromType(type: string): string {
  const slug = type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  return slug || 'block';
}

/** A block id unique among `taken`, derived from the block type. */
export function uniqueBlockId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = slugFromType(type);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base}_${i}`;
    if (!used.has(candidate)) return candidate;
  }
}

export const BLOCK_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function blockIdError(id: string, otherIds: Iterable<string>): string | null {
  if (!id.trim()) return 'The block id is required';
  if (!BLOCK_ID_PATTERN.test(id)) return 'Use letters, digits, _ or - (not starting with a digit)';
  for (const other of otherIds) if (other === id) return `Another block already has the id "${id}"`;
  return null;
}

function adjacency(edges: GraphEdge[]): { out: Map<string, string[]>; inc: Map<string, string[]> } {
  const out = new Map<string, string[]>();
  const inc = new Map<string, string[]>();
  for (const e of edges) {
    if (!out.has(e.source)) out.set(e.source, []);
    if (!inc.has(e.target)) inc.set(e.target, []);
    out.get(e.source)!.push(e.target);
    inc.get(e.target)!.push(e.source);
  }
  return { out, inc };
}

function reach(start: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    for (const n of next.get(id) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return seen;
}

/** Whether adding source->target would close a cycle (or is a self loop). */
export function wouldCreateCycle(edges: GraphEdge[], source: string, target: string): boolean {
  if (source === target) return true;
  const { out } = adjacency(edges);
  return reach(target, out).has(source);
}

/** Node ids in topological order; ties broken by position (top to bottom, then left to right). */
export function topologicalOrder(nodes: GraphNode[], edges: GraphEdge[]): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const pos = new Map(nodes.map((n) => [n.id, n.position]));
  const indeg = new Map<string, number>();
  for (const id of ids) indeg.set(id, 0);
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target)) continue;
    indeg.set(e.target, (indeg.get(e.target) ?? 0) + 1);
    if (!out.has(e.source)) out.set(e.source, []);
    out.get(e.source)!.push(e.target);
  }
  const byPos = (a: string, b: string) => {
    const pa = pos.get(a)!;
    const pb = pos.get(b)!;
    return pa.y - pb.y || pa.x - pb.x || (a < b ? -1 : a > b ? 1 : 0);
  };
  const ready = [...ids].filter((id) => indeg.get(id) === 0).sort(byPos);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const t of out.get(id) ?? []) {
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) {
        ready.push(t);
        ready.sort(byPos);
      }
    }
  }
  // nodes on a cycle: append in position order so nothing is lost
  const rest = [...ids].filter((id) => !order.includes(id)).sort(byPos);
  return [...order, ...rest];
}

/**
 * ReactFlow graph -> PipelineDefinition. Start and End nodes are not blocks: edges from Start
 * and to End only mark roots and sinks in the editor. Block-to-block edges are always sent as
 * explicit `edges`; node positions go to `layout`.
 */
export function graphToDefinition(
  name: string,
  seedFields: string[],
  nodes: GraphNode[],
  edges: GraphEdge[],
): PipelineDefinition {
  const blockNodes = nodes.filter(isBlockNode);
  const byNodeId = new Map(blockNodes.map((n) => [n.id, n]));
  const blockEdges = edges.filter((e) => byNodeId.has(e.source) && byNodeId.has(e.target));
  const order = topologicalOrder(blockNodes, blockEdges);
  const blocks: BlockDefinition[] = order.map((nodeId) => {
    const n = byNodeId.get(nodeId)!;
    return { id: n.data.blockId, type: n.data.blockType, config: cleanConfig(n.data.config) };
  });
  const seen = new Set<string>();
  const defEdges: DefEdge[] = [];
  for (const e of blockEdges) {
    const pair: DefEdge = [byNodeId.get(e.source)!.data.blockId, byNodeId.get(e.target)!.data.blockId];
    const key = pair.join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    defEdges.push(pair);
  }
  // positions of every node, Start and End included (under their reserved ids)
  const layout: Record<string, Position> = {};
  for (const n of nodes) {
    const key = isBlockNode(n) ? n.data.blockId : n.id === START_ID || n.id === END_ID ? n.id : null;
    if (key) layout[key] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
  }
  return {
    name: name.trim(),
    seed_fields: [...seedFields],
    blocks,
    edges: defEdges,
    layout,
  };
}

/** Drops config entries left undefined by the form, so the server applies its defaults. */
export function cleanConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = v;
  return out;
}

let nodeCounter = 0;
export function newNodeId(): string {
  nodeCounter += 1;
  return `n${Date.now().toString(36)}${nodeCounter}`;
}

export interface LoadedGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  needsLayout: boolean;
}

/**
 * PipelineDefinition -> ReactFlow graph. Without `edges` the blocks form a chain in order.
 * Start connects to every root, every sink connects to End.
 */
export function definitionToGraph(def: PipelineDefinition): LoadedGraph {
  const blocks = def.blocks ?? [];
  // an empty pipeline: Start above End
  const nodeIdOf = new Map<string, string>();
  const nodes: GraphNode[] = [];
  let needsLayout = false;
  blocks.forEach((b, i) => {
    const id = `b${i}_${b.id}`;
    nodeIdOf.set(b.id, id);
    const p = def.layout?.[b.id];
    if (!p) needsLayout = true;
    nodes.push({
      id,
      type: 'block',
      position: p ? { x: p.x, y: p.y } : { x: 0, y: 0 },
      data: { blockId: b.id, blockType: b.type, config: { ...(b.config ?? {}) } } satisfies BlockNodeData,
    });
  });
  const pairs: DefEdge[] =
    def.edges == null ? blocks.slice(1).map((b, i) => [blocks[i].id, b.id] as DefEdge) : def.edges;
  const edges: GraphEdge[] = [];
  const hasIn = new Set<string>();
  const hasOut = new Set<string>();
  for (const [s, t] of pairs) {
    const sn = nodeIdOf.get(s);
    const tn = nodeIdOf.get(t);
    if (!sn || !tn) continue;
    edges.push(makeEdge(sn, tn));
    hasOut.add(sn);
    hasIn.add(tn);
  }
  for (const n of nodes) {
    if (!hasIn.has(n.id)) edges.push(makeEdge(START_ID, n.id));
    if (!hasOut.has(n.id)) edges.push(makeEdge(n.id, END_ID));
  }
  const startPos = def.layout?.[START_ID];
  const endPos = def.layout?.[END_ID];
  const start: GraphNode = { id: START_ID, type: 'start', position: startPos ? { ...startPos } : { x: 0, y: 0 }, data: {}, deletable: false };
  const end: GraphNode = { id: END_ID, type: 'end', position: endPos ? { ...endPos } : { x: 0, y: 0 }, data: {}, deletable: false };
  const all = [start, ...nodes, end];
  if (needsLayout) return { nodes: autoLayout(all, edges), edges, needsLayout };
  if (startPos && endPos) return { nodes: all, edges, needsLayout };
  return { nodes: placeTerminals(all, edges), edges, needsLayout };
}

export const LAYER_GAP = 190;
/** Space between layers and columns once node sizes are known. */
const V_SPACE = 56;
const H_SPACE = 50;
const DEFAULT_SIZE = { width: 230, height: 134 };

/** Longest-path depth of every node from the nodes without incoming edges. */
export function depths(nodes: GraphNode[], edges: GraphEdge[]): Map<string, number> {
  const order = topologicalOrder(nodes, edges);
  const { inc } = adjacency(edges);
  const depth = new Map<string, number>();
  for (const id of order) {
    let d = 0;
    for (const p of inc.get(id) ?? []) if (depth.has(p)) d = Math.max(d, depth.get(p)! + 1);
    depth.set(id, d);
  }
  return depth;
}

/**
 * Layered layout by topological depth, top to bottom; Start on top, End at the bottom. Uses the
 * nodes' measured sizes when ReactFlow has them, so tall nodes do not overlap.
 */
export function autoLayout<N extends GraphNode>(nodes: N[], edges: GraphEdge[]): N[] {
  const d = depths(nodes, edges);
  let maxDepth = 0;
  for (const [id, v] of d) if (id !== END_ID) maxDepth = Math.max(maxDepth, v);
  if (d.has(START_ID)) {
    for (const [id, v] of d) if (id !== START_ID && v === 0) d.set(id, 1);
    maxDepth = Math.max(maxDepth, 1);
  }
  if (d.has(END_ID)) d.set(END_ID, maxDepth + 1);
  const layers = new Map<number, string[]>();
  for (const id of topologicalOrder(nodes, edges)) {
    const layer = d.get(id) ?? 0;
    if (!layers.has(layer)) layers.set(layer, []);
    layers.get(layer)!.push(id);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const size = (id: string) => ({
    width: byId.get(id)?.measured?.width ?? DEFAULT_SIZE.width,
    height: byId.get(id)?.measured?.height ?? DEFAULT_SIZE.height,
  });
  const pos = new Map<string, Position>();
  let y = 0;
  for (const layer of [...layers.keys()].sort((a, b) => a - b)) {
    const ids = layers.get(layer)!;
    const widths = ids.map((id) => size(id).width);
    const total = widths.reduce((a, w) => a + w, 0) + H_SPACE * (ids.length - 1);
    let x = -total / 2;
    ids.forEach((id, i) => {
      // centre each node on its column (nodes have different widths)
      pos.set(id, { x: Math.round(x), y: Math.round(y) });
      x += widths[i] + H_SPACE;
    });
    y += Math.max(...ids.map((id) => size(id).height)) + V_SPACE;
  }
  return nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position }));
}

/** Places Start above and End below the blocks when the blocks come with saved positions. */
export function placeTerminals<N extends GraphNode>(nodes: N[], _edges: GraphEdge[]): N[] {
  const blocks = nodes.filter((n) => n.id !== START_ID && n.id !== END_ID);
  if (!blocks.length) {
    return nodes.map((n) =>
      n.id === START_ID ? { ...n, position: { x: 0, y: 0 } } : n.id === END_ID ? { ...n, position: { x: 0, y: LAYER_GAP } } : n,
    );
  }
  const minY = Math.min(...blocks.map((n) => n.position.y));
  const maxY = Math.max(...blocks.map((n) => n.position.y));
  const minX = Math.min(...blocks.map((n) => n.position.x));
  const maxX = Math.max(...blocks.map((n) => n.position.x));
  const cx = (minX + maxX) / 2;
  return nodes.map((n) => {
    if (n.id === START_ID) return { ...n, position: { x: cx, y: minY - LAYER_GAP } };
    if (n.id === END_ID) return { ...n, position: { x: cx, y: maxY + LAYER_GAP + 60 } };
    return n;
  });
}

export const WILDCARD = '*';

export interface NodeFields {
  /** Fields of the accumulated state the block sees: seed fields + outputs of every upstream block. */
  available: string[];
  /** What the block adds to the state. */
  outputs: string[];
  /** Some upstream block declares `outputs = ["*"]`: more fields than listed may be present. */
  openEnded: boolean;
}

/**
 * Accumulated state at every node. A block's available fields are the seed fields plus the
 * outputs of all its upstream blocks (not only its direct parents). End sees everything that
 * reaches it. A block whose outputs are ["*"] makes the state open-ended from there on.
 */
/**
 * What the server computed for the current definition, per block id: the fields each block can
 * read, and (when sent) what each adds. It wins over the registry's declared outputs, which cannot
 * know config-dependent outputs (e.g. an `output_field` setting).
 */
export interface ServerFields {
  available?: Record<string, string[]>;
  outputs?: Record<string, string[]>;
}

export function accumulatedFields(
  nodes: GraphNode[],
  edges: GraphEdge[],
  blockInfo: Map<string, Pick<BlockInfo, 'outputs'>>,
  seedFields: string[],
  server: ServerFields = {},
): Map<string, NodeFields> {
  const { inc } = adjacency(edges);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const outputsOf = (n: GraphNode): string[] => {
    if (!isBlockNode(n)) return [];
    return [...(server.outputs?.[n.data.blockId] ?? blockInfo.get(n.data.blockType)?.outputs ?? [])];
  };
  const result = new Map<string, NodeFields>();
  for (const n of nodes) {
    const upstream = reach(n.id, inc);
    const fields: string[] = [];
    const seen = new Set<string>();
    let openEnded = false;
    const add = (f: string) => {
      if (f === WILDCARD) {
        openEnded = true;
        return;
      }
      if (!seen.has(f)) {
        seen.add(f);
        fields.push(f);
      }
    };
    seedFields.forEach(add);
    const ups = topologicalOrder(
      [...upstream].map((id) => byId.get(id)).filter((x): x is GraphNode => !!x),
      edges,
    );
    for (const id of ups) outputsOf(byId.get(id)!).forEach(add);
    const fromServer = isBlockNode(n) ? server.available?.[n.data.blockId] : undefined;
    const available = fromServer ? [...new Set(fromServer.filter((f) => f !== WILDCARD))] : fields;
    result.set(n.id, { available, outputs: n.id === START_ID ? [...seedFields] : outputsOf(n), openEnded });
  }
  return result;
}

/** Block nodes that are on a path from Start to End. */
export function connectedNodes(nodes: GraphNode[], edges: GraphEdge[]): Set<string> {
  const { out, inc } = adjacency(edges);
  const fromStart = reach(START_ID, out);
  const toEnd = reach(END_ID, inc);
  const ok = new Set<string>();
  for (const n of nodes) if (fromStart.has(n.id) && toEnd.has(n.id)) ok.add(n.id);
  return ok;
}

/** Whether a new edge is allowed: not into Start, not out of End, no duplicates, no cycles. */
export function canConnect(edges: GraphEdge[], source: string | null, target: string | null): boolean {
  if (!source || !target || source === target) return false;
  if (target === START_ID || source === END_ID) return false;
  if (source === START_ID && target === END_ID) return false;
  if (edges.some((e) => e.source === source && e.target === target)) return false;
  return !wouldCreateCycle(edges, source, target);
}
