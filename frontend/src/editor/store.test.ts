import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlockInfo } from '../api/types';
import { END_ID, START_ID, type BlockNodeData } from './graph';
import { defaultConfig, useEditorStore } from './store';

const llm: BlockInfo = {
  type: 'LLMBlock',
  name: 'LLM Generator',
  description: '',
  category: 'generators',
  inputs: ['*'],
  outputs: ['assistant'],
  source: 'builtin',
  config_schema: {
    type: 'object',
    properties: {
      user_prompt: { type: 'string', format: 'jinja' },
      system_prompt: { type: 'string', default: '', format: 'jinja' },
      temperature: { type: ['number', 'null'], default: null },
      output_field: { type: 'string', default: 'assistant' },
    },
    required: ['user_prompt'],
  },
};

const state = () => useEditorStore.getState();
const data = (nodeId: string) => state().nodes.find((n) => n.id === nodeId)!.data as BlockNodeData;

describe('editor store', () => {
  beforeEach(() => state().loadNew());

  it('a new pipeline has Start and End, which cannot be deleted', () => {
    expect(state().nodes.map((n) => n.id)).toEqual([START_ID, END_ID]);
    expect(state().nodes.every((n) => n.deletable === false)).toBe(true);
    state().onNodesChange([{ type: 'remove', id: START_ID }]);
    state().deleteNode(END_ID);
    expect(state().nodes).toHaveLength(2);
  });

  it('dropping a block fills its defaults (not null ones), selects it and gives it a unique id', () => {
    expect(defaultConfig(llm)).toEqual({ system_prompt: '', output_field: 'assistant' });
    const a = state().addBlock(llm, { x: 0, y: 100 });
    const b = state().addBlock(llm, { x: 0, y: 300 });
    expect(data(a).blockId).toBe('llm_block');
    expect(data(b).blockId).toBe('llm_block_2');
    expect(state().selectedNodeId).toBe(b);
    expect(state().dirty).toBe(true);
  });

  it('connects blocks, refuses a cycle, and builds the definition', () => {
    const a = state().addBlock(llm, { x: 0, y: 100 });
    const b = state().addBlock(llm, { x: 0, y: 300 });
    const conn = (source: string, target: string) =>
      state().onConnect({ source, target, sourceHandle: null, targetHandle: null });
    conn(START_ID, a);
    conn(a, b);
    conn(b, END_ID);
    conn(b, a); // cycle: ignored
    expect(state().edges).toHaveLength(3);
    state().updateConfig(a, 'user_prompt', 'Write about {{ topic }}');
    state().updateConfig(b, 'temperature', 0.2);
    state().setSeedFields(['topic']);
    state().setName('Two LLMs');
    const def = state().definition();
    expect(def.blocks).toEqual([
      { id: 'llm_block', type: 'LLMBlock', config: { system_prompt: '', output_field: 'assistant', user_prompt: 'Write about {{ topic }}' } },
      { id: 'llm_block_2', type: 'LLMBlock', config: { system_prompt: '', output_field: 'assistant', temperature: 0.2 } },
    ]);
    expect(def.edges).toEqual([['llm_block', 'llm_block_2']]);
    expect(def.seed_fields).toEqual(['topic']);
    expect(def.name).toBe('Two LLMs');
  });

  it('deleting a block removes its edges; renaming a block renames it in edges', () => {
    const a = state().addBlock(llm, { x: 0, y: 100 });
    const b = state().addBlock(llm, { x: 0, y: 300 });
    state().onConnect({ source: a, target: b, sourceHandle: null, targetHandle: null });
    state().setBlockId(a, 'ask');
    expect(state().definition().edges).toEqual([['ask', 'llm_block_2']]);
    state().deleteNode(b);
    expect(state().edges).toEqual([]);
    expect(state().definition().blocks.map((x) => x.id)).toEqual(['ask']);
  });

  it('tracks invalid drafts per node and field', () => {
    const a = state().addBlock(llm, { x: 0, y: 0 });
    state().setDraftError(a, 'temperature', 'Enter a number');
    expect(state().draftErrors).toEqual({ [a]: { temperature: 'Enter a number' } });
    state().setDraftError(a, 'temperature', null);
    expect(state().draftErrors).toEqual({});
  });

  it('loads a saved definition (chain when edges are absent) and marks it clean', () => {
    state().load(7, {
      name: 'Loaded',
      description: 'From a template',
      seed_fields: ['content'],
      blocks: [
        { id: 'q', type: 'LLMBlock', config: { user_prompt: '{{ content }}' } },
        { id: 'o', type: 'OutputBlock', config: { format_template: '{{ assistant }}' } },
      ],
    });
    expect(state().pipelineId).toBe(7);
    expect(state().dirty).toBe(false);
    expect(state().edges).toHaveLength(3);
    expect(state().definition().edges).toEqual([['q', 'o']]);
    expect(state().definition().description).toBe('From a template');
    state().markSaved(7);
    expect(state().loadedKey).toBe('7');
  });
});

describe('editor undo and redo', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    state().loadNew();
  });
  afterEach(() => vi.useRealTimers());

  const blockIds = () => state().definition().blocks.map((b) => b.id);
  const conn = (source: string, target: string) => state().onConnect({ source, target, sourceHandle: null, targetHandle: null });

  it('undoes and redoes adding, connecting and deleting, and a new change clears redo', () => {
    expect(state().history.past).toHaveLength(0);
    state().undo(); // nothing to undo: nothing changes
    expect(state().nodes).toHaveLength(2);
    const a = state().addBlock(llm, { x: 0, y: 100 });
    conn(START_ID, a);
    conn(a, END_ID);
    expect(state().edges).toHaveLength(2);
    state().deleteNode(a);
    expect(blockIds()).toEqual([]);
    expect(state().edges).toHaveLength(0);

    state().undo();
    expect(blockIds()).toEqual(['llm_block']);
    expect(state().edges).toHaveLength(2);
    state().undo();
    state().undo();
    expect(state().edges).toHaveLength(0);
    expect(blockIds()).toEqual(['llm_block']);
    state().undo();
    expect(blockIds()).toEqual([]);
    expect(state().history.past).toHaveLength(0);
    expect(state().dirty).toBe(true);

    state().redo();
    state().redo();
    expect(blockIds()).toEqual(['llm_block']);
    expect(state().edges.map((e) => [e.source, e.target])).toEqual([[START_ID, a]]);
    expect(state().history.future).toHaveLength(2);
    state().setName('Changed');
    expect(state().history.future).toHaveLength(0);
    state().redo();
    expect(state().edges).toHaveLength(1);
  });

  it('typing in one field is one step; another field or a pause starts a new one', () => {
    const a = state().addBlock(llm, { x: 0, y: 0 });
    const steps = state().history.past.length;
    for (const text of ['W', 'Wr', 'Wri', 'Write']) {
      state().updateConfig(a, 'user_prompt', text);
      vi.advanceTimersByTime(200);
    }
    expect(state().history.past).toHaveLength(steps + 1);
    state().updateConfig(a, 'system_prompt', 'Be brief');
    expect(state().history.past).toHaveLength(steps + 2);
    vi.advanceTimersByTime(2000);
    state().updateConfig(a, 'system_prompt', 'Be very brief');
    expect(state().history.past).toHaveLength(steps + 3);

    state().undo();
    expect(data(a).config.system_prompt).toBe('Be brief');
    state().undo();
    expect(data(a).config.system_prompt).toBe('');
    expect(data(a).config.user_prompt).toBe('Write');
    state().undo();
    expect(data(a).config.user_prompt).toBeUndefined();
  });

  it('a drag is one step, and selecting changes nothing to undo', () => {
    const a = state().addBlock(llm, { x: 0, y: 100 });
    const steps = state().history.past.length;
    state().onNodesChange([{ type: 'select', id: a, selected: false }]);
    expect(state().history.past).toHaveLength(steps);
    for (let y = 110; y <= 200; y += 10) {
      state().onNodesChange([{ type: 'position', id: a, position: { x: 0, y }, dragging: true }]);
      vi.advanceTimersByTime(16);
    }
    state().onNodesChange([{ type: 'position', id: a, position: { x: 0, y: 200 }, dragging: false }]);
    expect(state().history.past).toHaveLength(steps + 1);
    state().undo();
    expect(state().nodes.find((n) => n.id === a)!.position).toEqual({ x: 0, y: 100 });
  });

  it('a node deleted with the keyboard comes back with its edges in one undo', () => {
    const a = state().addBlock(llm, { x: 0, y: 100 });
    conn(START_ID, a);
    conn(a, END_ID);
    const steps = state().history.past.length;
    const edgeIds = state().edges.map((e) => e.id);
    state().onNodesChange([{ type: 'remove', id: a }]);
    state().onEdgesChange(edgeIds.map((id) => ({ type: 'remove' as const, id })));
    expect(state().history.past).toHaveLength(steps + 1);
    state().undo();
    expect(blockIds()).toEqual(['llm_block']);
    expect(state().edges).toHaveLength(2);
  });

  it('undo keeps the selection when the node is still there and clears invalid drafts', () => {
    const a = state().addBlock(llm, { x: 0, y: 0 });
    state().updateConfig(a, 'user_prompt', 'x');
    state().setDraftError(a, 'temperature', 'Enter a number');
    state().undo();
    expect(state().selectedNodeId).toBe(a);
    expect(state().draftErrors).toEqual({});
    state().undo();
    expect(state().selectedNodeId).toBeNull();
  });

  it('loading a pipeline starts a new history', () => {
    state().addBlock(llm, { x: 0, y: 0 });
    state().load(3, { name: 'Other', blocks: [{ id: 'o', type: 'OutputBlock', config: { format_template: 'x' } }] });
    expect(state().history.past).toHaveLength(0);
    state().undo();
    expect(blockIds()).toEqual(['o']);
    expect(state().dirty).toBe(false);
  });
});
