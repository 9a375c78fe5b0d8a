import { createContext, useContext } from 'react';
import type { BlockInfo, Problem } from '../api/types';
import type { NodeFields } from './graph';

export interface EditorDerived {
  blockInfo: Map<string, BlockInfo>;
  fields: Map<string, NodeFields>;
  connected: Set<string>;
  problemsByBlock: Map<string, Problem[]>;
  seedFields: string[];
}

export const EditorContext = createContext<EditorDerived>({
  blockInfo: new Map(),
  fields: new Map(),
  connected: new Set(),
  problemsByBlock: new Map(),
  seedFields: [],
});

export function useEditorDerived(): EditorDerived {
  return useContext(EditorContext);
}
