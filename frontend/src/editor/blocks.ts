import type { BlockInfo } from '../api/types';

/** The drag-and-drop payload type of a palette item. */
export const DRAG_MIME = 'application/x-datagenflow-block';

/** Palette content: blocks matching every word of the query, grouped by category (sorted). */
export function groupBlocks(blocks: BlockInfo[], query: string): [string, BlockInfo[]][] {
  const q = query.trim().toLowerCase();
  const groups = new Map<string, BlockInfo[]>();
  for (const b of blocks) {
    const hay = `${b.name} ${b.type} ${b.description} ${b.category}`.toLowerCase();
    if (q && !q.split(/\s+/).every((w) => hay.includes(w))) continue;
    const cat = b.category || 'other';
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat)!.push(b);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}
