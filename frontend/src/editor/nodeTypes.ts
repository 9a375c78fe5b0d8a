import { BlockNode, EndNode, StartNode } from './nodes';

export const nodeTypes = { block: BlockNode, start: StartNode, end: EndNode };
