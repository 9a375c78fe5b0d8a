import type { Edge, Node } from '@xyflow/react';

/** What undo and redo bring back: the pipeline as drawn, not the view or the selection. */
export interface Snapshot {
  nodes: Node<Record<string, unknown>>[];
  edges: Edge[];
  name: string;
  seedFields: string[];
}

export interface History {
  past: Snapshot[];
  future: Snapshot[];
  /** The last recorded change's kind: typing in one field or dragging a node is one step. */
  lastKey: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 100;
/** Changes of one kind closer together than this are one undo step. */
export const COALESCE_MS = 1000;

export const emptyHistory = (): History => ({ past: [], future: [], lastKey: null, lastAt: 0 });

export function snapshotOf(s: Snapshot): Snapshot {
  // the store replaces arrays and objects on every change, so keeping references is enough
  return { nodes: s.nodes, edges: s.edges, name: s.name, seedFields: s.seedFields };
}

/**
 * The history after a change to `current`: a new undo step, unless `key` names the same kind
 * of change as the last one and it came within COALESCE_MS. Any change clears redo.
 */
export function recordChange(
  history: History,
  current: Snapshot,
  key: string | null,
  now: number,
  windowMs: number = COALESCE_MS,
): History {
  if (key !== null && key === history.lastKey && now - history.lastAt < windowMs) {
    return { ...history, future: [], lastAt: now };
  }
  const past = [...history.past, snapshotOf(current)].slice(-HISTORY_LIMIT);
  return { past, future: [], lastKey: key, lastAt: now };
}

/** Step back (`undo`) or forward: the snapshot to show, and the history after it; null: nothing. */
export function step(history: History, current: Snapshot, direction: 'undo' | 'redo'): { to: Snapshot; history: History } | null {
  if (direction === 'undo') {
    const to = history.past.at(-1);
    if (!to) return null;
    return { to, history: { past: history.past.slice(0, -1), future: [snapshotOf(current), ...history.future], lastKey: null, lastAt: 0 } };
  }
  const to = history.future[0];
  if (!to) return null;
  return { to, history: { past: [...history.past, snapshotOf(current)], future: history.future.slice(1), lastKey: null, lastAt: 0 } };
}
