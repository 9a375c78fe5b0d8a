import { describe, expect, it } from 'vitest';
import type { BlockInfo } from '../api/types';
import {
  accumulatedFields,
  autoLayout,
  blockIdError,
  canConnect,
  connectedNodes,
  definitionToGraph,
  depths,
  END_ID,
  graphToDefinition,
  makeEdge,
  slugFromType,
  START_ID,
  uniqueBlockId,
  wouldCreateCycle,
  type GraphEdge,
  type GraphNode,
} from './graph';

function block(id: string, blockId: string, type: string, x = 0, y = 0, config: Record<string, unknown> = {}): GraphNode {
  return { id, type: 'block', position: { x, y }, data: { blockId, blockType: type, config } };
}
const start: GraphNode = { id: START_ID, type: 'start', position: { x: 0, y: -100 }, data: {} };
const end: GraphNode = { id: END_ID, type: 'end', position: { x: 0, y: 900 }, data: {} };
const e = (s: string, t: string): GraphEdge => makeEdge(s, t);

const info = new Map<string, Pick<BlockInfo, 'outputs'>>([
  ['LLMBlock', { outputs: ['assistant'] }],
  ['ValidatorBlock', { outputs: ['is_valid', 'validation_errors'] }],
  ['OutputBlock', { outputs: ['output'] }],
  ['Passthrough', { outputs: ['*'] }],
]);

describe('graphToDefinition', () => {
  it('maps a chain: Start/End are not blocks, block edges are explicit, positions go to layout', () => {
    const nodes = [start, block('n1', 'ask', 'LLMBlock', 0, 100, { user_prompt: 'Hi {{ topic }}' }), block('n2', 'check', 'ValidatorBlock', 0, 300), end];
    const edges = [e(START_ID, 'n1'), e('n1', 'n2'), e('n2', END_ID)];
    const def = graphToDefinition('  Q&A  ', ['topic'], nodes, edges);
    expect(def).toEqual({
      name: 'Q&A',
      seed_fields: ['topic'],
      blocks: [
        { id: 'ask', type: 'LLMBlock', config: { user_prompt: 'Hi {{ topic }}' } },
        { id: 'check', type: 'ValidatorBlock', config: {} },
      ],
      edges: [['ask', 'check']],
      layout: { [START_ID]: { x: 0, y: -100 }, ask: { x: 0, y: 100 }, check: { x: 0, y: 300 }, [END_ID]: { x: 0, y: 900 } },
    });
  });

  it('always sends explicit edges, even for a single block (an empty list, not absent)', () => {
    const def = graphToDefinition('one', [], [start, block('n1', 'a', 'LLMBlock'), end], [e(START_ID, 'n1'), e('n1', END_ID)]);
    expect(def.edges).toEqual([]);
    expect(def.blocks.map((b) => b.id)).toEqual(['a']);
  });

  it('keeps branches and orders blocks topologically whatever the node order', () => {
    const nodes = [
      block('n3', 'join', 'OutputBlock', 0, 400),
      block('n2b', 'right', 'ValidatorBlock', 200, 250),
      block('n2a', 'left', 'ValidatorBlock', -200, 250),
      block('n1', 'root', 'LLMBlock', 0, 100),
      start,
      end,
    ];
    const edges = [e(START_ID, 'n1'), e('n1', 'n2a'), e('n1', 'n2b'), e('n2a', 'n3'), e('n2b', 'n3'), e('n3', END_ID)];
    const def = graphToDefinition('branches', [], nodes, edges);
    expect(def.blocks.map((b) => b.id)).toEqual(['root', 'left', 'right', 'join']);
    expect(def.edges).toEqual([
      ['root', 'left'],
      ['root', 'right'],
      ['left', 'join'],
      ['right', 'join'],
    ]);
  });

  it('drops undefined config values so server defaults apply, and keeps real JSON values', () => {
    const nodes = [block('n1', 'a', 'X', 0, 0, { a: undefined, b: null, schema: { type: 'object' }, list: ['x'] })];
    const def = graphToDefinition('c', [], nodes, []);
    expect(def.blocks[0].config).toEqual({ b: null, schema: { type: 'object' }, list: ['x'] });
  });

  it('includes unconnected blocks (the server reports them) and ignores duplicate edges', () => {
    const nodes = [start, block('n1', 'a', 'LLMBlock'), block('n2', 'b', 'LLMBlock', 0, 200), block('n9', 'loose', 'LLMBlock', 400, 0), end];
    const edges = [e('n1', 'n2'), { id: 'dup', source: 'n1', target: 'n2' }];
    const def = graphToDefinition('x', [], nodes, edges);
    expect(def.blocks.map((b) => b.id).sort()).toEqual(['a', 'b', 'loose']);
    expect(def.edges).toEqual([['a', 'b']]);
  });
});

describe('definitionToGraph', () => {
  it('shows a definition without edges as a chain from Start to End', () => {
    const g = definitionToGraph({
      name: 'chain',
      blocks: [
        { id: 'a', type: 'LLMBlock', config: {} },
        { id: 'b', type: 'ValidatorBlock', config: {} },
        { id: 'c', type: 'OutputBlock', config: {} },
      ],
    });
    const idOf = (blockId: string) => g.nodes.find((n) => n.data.blockId === blockId)!.id;
    const pairs = g.edges.map((x) => [x.source, x.target]);
    expect(pairs).toContainEqual([START_ID, idOf('a')]);
    expect(pairs).toContainEqual([idOf('a'), idOf('b')]);
    expect(pairs).toContainEqual([idOf('b'), idOf('c')]);
    expect(pairs).toContainEqual([idOf('c'), END_ID]);
    expect(pairs).toHaveLength(4);
    expect(g.needsLayout).toBe(true);
    // layered layout: each block below the previous one
    const y = (blockId: string) => g.nodes.find((n) => n.data.blockId === blockId)!.position.y;
    expect(y('a')).toBeLessThan(y('b'));
    expect(y('b')).toBeLessThan(y('c'));
  });

  it('connects Start to every root and every sink to End with explicit edges', () => {
    const g = definitionToGraph({
      name: 'fan',
      blocks: [
        { id: 'a', type: 'LLMBlock', config: {} },
        { id: 'b', type: 'LLMBlock', config: {} },
        { id: 'c', type: 'OutputBlock', config: {} },
      ],
      edges: [
        ['a', 'c'],
        ['b', 'c'],
      ],
      layout: { a: { x: 0, y: 0 }, b: { x: 300, y: 0 }, c: { x: 150, y: 200 } },
    });
    const fromStart = g.edges.filter((x) => x.source === START_ID).map((x) => x.target);
    const toEnd = g.edges.filter((x) => x.target === END_ID).map((x) => x.source);
    expect(fromStart).toHaveLength(2);
    expect(toEnd).toHaveLength(1);
    expect(g.needsLayout).toBe(false);
    expect(g.nodes.find((n) => n.data.blockId === 'b')!.position).toEqual({ x: 300, y: 0 });
    // Start above, End below the saved positions
    expect(g.nodes.find((n) => n.id === START_ID)!.position.y).toBeLessThan(0);
    expect(g.nodes.find((n) => n.id === END_ID)!.position.y).toBeGreaterThan(200);
  });

  it('restores Start and End from the layout when saved there', () => {
    const g = definitionToGraph({
      name: 'p',
      blocks: [{ id: 'a', type: 'X', config: {} }],
      edges: [],
      layout: { a: { x: 5, y: 100 }, [START_ID]: { x: 7, y: -50 }, [END_ID]: { x: 9, y: 400 } },
    });
    expect(g.nodes.find((n) => n.id === START_ID)!.position).toEqual({ x: 7, y: -50 });
    expect(g.nodes.find((n) => n.id === END_ID)!.position).toEqual({ x: 9, y: 400 });
  });

  it('round-trips: graph -> definition -> graph -> definition is stable', () => {
    const def = {
      name: 'rt',
      seed_fields: ['topic'],
      blocks: [
        { id: 'a', type: 'LLMBlock', config: { user_prompt: '{{ topic }}' } },
        { id: 'b', type: 'ValidatorBlock', config: { field: 'assistant' } },
      ],
      edges: [['a', 'b']] as [string, string][],
      layout: { [START_ID]: { x: 0, y: -200 }, a: { x: 0, y: 0 }, b: { x: 0, y: 200 }, [END_ID]: { x: 0, y: 400 } },
    };
    const g = definitionToGraph(def);
    const back = graphToDefinition(def.name, def.seed_fields, g.nodes, g.edges);
    expect(back).toEqual(def);
  });

  it('an empty definition gives Start and End only', () => {
    const g = definitionToGraph({ name: 'empty', blocks: [] });
    expect(g.nodes.map((n) => n.id)).toEqual([START_ID, END_ID]);
    expect(g.edges).toEqual([]);
  });
});

describe('accumulatedFields', () => {
  const nodes = [
    start,
    block('n1', 'ask', 'LLMBlock'),
    block('n2', 'check', 'ValidatorBlock'),
    block('n3', 'side', 'ValidatorBlock'),
    block('n4', 'out', 'OutputBlock'),
    end,
  ];
  // Start -> ask -> check -> out -> End, and ask -> side (a branch beside check)
  const edges = [e(START_ID, 'n1'), e('n1', 'n2'), e('n2', 'n4'), e('n1', 'n3'), e('n4', END_ID), e('n3', END_ID)];

  it('gives each block the seed fields plus the outputs of all its upstream blocks', () => {
    const f = accumulatedFields(nodes, edges, info, ['topic', 'level']);
    expect(f.get('n1')!.available).toEqual(['topic', 'level']);
    expect(f.get('n2')!.available).toEqual(['topic', 'level', 'assistant']);
    // not the sibling branch's outputs
    expect(f.get('n3')!.available).toEqual(['topic', 'level', 'assistant']);
    // transitively upstream, not only the direct parent
    expect(f.get('n4')!.available).toEqual(['topic', 'level', 'assistant', 'is_valid', 'validation_errors']);
    expect(f.get('n4')!.outputs).toEqual(['output']);
    expect(f.get(START_ID)!.outputs).toEqual(['topic', 'level']);
  });

  it('End sees everything that reaches it, from every branch', () => {
    const f = accumulatedFields(nodes, edges, info, ['topic']);
    expect(f.get(END_ID)!.available.sort()).toEqual(['assistant', 'is_valid', 'output', 'topic', 'validation_errors'].sort());
  });

  it('a block with outputs ["*"] makes the state open-ended downstream', () => {
    const ns = [start, block('p', 'pass', 'Passthrough'), block('o', 'out', 'OutputBlock'), end];
    const es = [e(START_ID, 'p'), e('p', 'o'), e('o', END_ID)];
    const f = accumulatedFields(ns, es, info, ['x']);
    expect(f.get('p')!.openEnded).toBe(false);
    expect(f.get('o')!.openEnded).toBe(true);
    expect(f.get('o')!.available).toEqual(['x']);
    expect(f.get('p')!.outputs).toEqual(['*']);
  });

  it('an unconnected block sees only the seed fields', () => {
    const ns = [...nodes, block('n9', 'loose', 'LLMBlock')];
    const f = accumulatedFields(ns, edges, info, ['topic']);
    expect(f.get('n9')!.available).toEqual(['topic']);
  });

  it('uses the server fields when given (config-dependent outputs)', () => {
    const f = accumulatedFields(nodes, edges, info, ['topic'], {
      available: { check: ['topic', 'question'] },
      outputs: { ask: ['question'] },
    });
    expect(f.get('n2')!.available).toEqual(['topic', 'question']);
    expect(f.get('n1')!.outputs).toEqual(['question']);
    // blocks the server did not describe fall back to the local computation, with server outputs
    expect(f.get('n3')!.available).toEqual(['topic', 'question']);
  });

  it('unknown block types add nothing', () => {
    const ns = [start, block('u', 'u', 'Unknown'), block('o', 'o', 'OutputBlock'), end];
    const f = accumulatedFields(ns, [e('u', 'o')], info, []);
    expect(f.get('o')!.available).toEqual([]);
  });
});

describe('connection status', () => {
  it('only blocks on a path from Start to End are connected', () => {
    const nodes = [start, block('a', 'a', 'X'), block('b', 'b', 'X'), block('c', 'c', 'X'), block('d', 'd', 'X'), end];
    const edges = [e(START_ID, 'a'), e('a', 'b'), e('b', END_ID), e(START_ID, 'c'), e('d', END_ID)];
    const ok = connectedNodes(nodes, edges);
    expect([...ok].filter((id) => id !== START_ID && id !== END_ID).sort()).toEqual(['a', 'b']);
  });

  it('refuses cycles, self loops, edges into Start, out of End, duplicates, Start->End', () => {
    const edges = [e('a', 'b'), e('b', 'c')];
    expect(wouldCreateCycle(edges, 'c', 'a')).toBe(true);
    expect(canConnect(edges, 'c', 'a')).toBe(false);
    expect(canConnect(edges, 'a', 'a')).toBe(false);
    expect(canConnect(edges, 'a', START_ID)).toBe(false);
    expect(canConnect(edges, END_ID, 'a')).toBe(false);
    expect(canConnect(edges, 'a', 'b')).toBe(false);
    expect(canConnect(edges, START_ID, END_ID)).toBe(false);
    expect(canConnect(edges, 'a', 'c')).toBe(true);
    expect(canConnect(edges, START_ID, 'a')).toBe(true);
    expect(canConnect(edges, null, 'a')).toBe(false);
  });
});

describe('auto-layout', () => {
  it('layers nodes by topological depth, Start on top and End at the bottom', () => {
    const nodes = [start, block('a', 'a', 'X'), block('b', 'b', 'X'), block('c', 'c', 'X'), block('d', 'd', 'X'), end];
    const edges = [e(START_ID, 'a'), e('a', 'b'), e('a', 'c'), e('b', 'd'), e('c', 'd'), e('d', END_ID)];
    const d = depths(nodes, edges);
    expect(d.get('a')).toBe(1);
    expect(d.get('d')).toBe(3);
    const laid = autoLayout(nodes, edges);
    const pos = new Map(laid.map((n) => [n.id, n.position]));
    expect(pos.get(START_ID)!.y).toBeLessThan(pos.get('a')!.y);
    expect(pos.get('b')!.y).toBe(pos.get('c')!.y);
    expect(pos.get('b')!.x).not.toBe(pos.get('c')!.x);
    // measured sizes: a tall node pushes the next layer down
    const tall = autoLayout(
      nodes.map((n) => (n.id === 'a' ? { ...n, measured: { width: 230, height: 600 } } : n)),
      edges,
    );
    const tpos = new Map(tall.map((n) => [n.id, n.position]));
    expect(tpos.get('b')!.y - tpos.get('a')!.y).toBeGreaterThan(600);
    expect(pos.get('d')!.y).toBeGreaterThan(pos.get('b')!.y);
    expect(pos.get(END_ID)!.y).toBeGreaterThan(pos.get('d')!.y);
  });

  it('puts unconnected blocks on the first block layer, not on Start', () => {
    const nodes = [start, block('a', 'a', 'X'), end];
    const laid = autoLayout(nodes, []);
    const pos = new Map(laid.map((n) => [n.id, n.position]));
    expect(pos.get('a')!.y).toBeGreaterThan(pos.get(START_ID)!.y);
    expect(pos.get(END_ID)!.y).toBeGreaterThan(pos.get('a')!.y);
  });
});

describe('block ids', () => {
  it('derives ids from the type and keeps them unique', () => {
    expect(slugFromType('LLMBlock')).toBe('llm_block');
    expect(slugFromType('JSONValidatorBlock')).toBe('json_validator_block');
    expect(slugFromType('OutputBlock')).toBe('output_block');
    expect(uniqueBlockId('LLMBlock', ['llm_block'])).toBe('llm_block_2');
    expect(uniqueBlockId('LLMBlock', ['llm_block', 'llm_block_2'])).toBe('llm_block_3');
  });

  it('checks an edited id', () => {
    expect(blockIdError('', [])).toMatch(/required/);
    expect(blockIdError('1abc', [])).toMatch(/letters/);
    expect(blockIdError('has space', [])).toMatch(/letters/);
    expect(blockIdError('ask', ['ask'])).toMatch(/already/);
    expect(blockIdError('ask_2', ['ask'])).toBeNull();
  });
});
