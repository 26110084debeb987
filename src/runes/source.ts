/** The runeset's YAML as parsed: maps value paths back to the lines and columns they came from. */
import { Lexer, LineCounter, Parser, isAlias, isCollection, isMap, isScalar, isSeq, parseDocument, type CST, type Document, type Node, type Pair } from 'yaml';
import type { ErrorCode } from '../core/errors.js';
import { MAX_DEPTH } from '../core/limits.js';
import type { DiagnosticSeverity, RunesetDiagnostic } from './diagnostics.js';

/** A path to a value in the runeset: mapping keys and list indexes, as in ajv's `instancePath`. */
export type ValuePath = readonly (string | number)[];

/**
 * Which part of a node a diagnostic points at: the `key` of a mapping entry (unknown keys; and
 * missing keys, at the key that holds the mapping), or its `value` (wrong values). A list item
 * has no key: both point at the item.
 */
export type Anchor = 'key' | 'value';

interface Located {
  /** The key node of the last mapping entry on the path, when the path ends in a mapping entry. */
  readonly key?: Node;
  readonly value?: Node;
  /** How much of the path exists in the document. */
  readonly depth: number;
}

/** What to say about a problem; where comes from the path and anchor. */
export interface Finding {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
  readonly severity?: DiagnosticSeverity;
}

/**
 * The most values a runeset may expand to through its aliases. Far more than any real runeset
 * has; a "billion laughs" file (aliases of aliases) expands to billions from a few lines.
 */
export const MAX_EXPANDED_VALUES = 100_000;

/** The parsed runeset: the YAML document plus what it takes to point into the text. */
export class RunesetYaml {
  readonly doc: Document.Parsed;
  readonly lines = new LineCounter();
  /**
   * Set when the text nests collections deeper than `MAX_DEPTH`: the document is then not built
   * (the YAML library builds it recursively) and `doc` is empty.
   */
  readonly tooDeep: RunesetDiagnostic | undefined;

  /**
   * @param file the runeset's name in diagnostics
   * @param text the runeset's text
   */
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // The composer that builds the document recurses, and the parser before it slows down with
    // depth (seconds for 100,000 `[`): nesting that the tokens alone show is too deep stops here,
    // before either runs; the syntax tree gives the exact depth before the composer runs.
    let deep = visiblyDeeperThan(text, MAX_DEPTH);
    if (deep === undefined) {
      deep = deeperThan(new Parser(this.lines.addNewLine).parse(text), MAX_DEPTH);
    } else {
      this.lines.addNewLine(0); // what the parser would have counted
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lines.addNewLine(i + 1);
    }
    this.tooDeep =
      deep === undefined
        ? undefined
        : this.atOffset(deep, {
            code: 'RUNESET_TOO_DEEP',
            message: `the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels here`,
            hint: 'a runeset is configuration: flatten it',
          });
    // Duplicate keys are found by `duplicateKeys()`, which says where the first one was.
    this.doc = parseDocument(deep === undefined ? text : '', { prettyErrors: false, uniqueKeys: false });
  }

  /**
   * What aliases do to the document: an alias to a value that contains it (a cycle), to an anchor
   * not defined before it, an expansion beyond `MAX_EXPANDED_VALUES` values (a "billion laughs"
   * bomb), or deeper than `MAX_DEPTH`. Found by one walk, without recursion and without expanding
   * anything, before anything else reads the document (which would expand the aliases).
   */
  aliasProblems(): RunesetDiagnostic[] {
    const out: RunesetDiagnostic[] = [];
    const anchors = new Map<string, Node>();
    const done = new Map<Node, { size: number; height: number }>(); // collections walked: their expanded size and nesting
    const open = new Set<Node>(); // collections being walked: the path from the root
    interface Frame {
      readonly node: Node;
      readonly kids: unknown[];
      next: number;
      /** Values it expands to, itself included. */
      size: number;
      /** The deepest nesting among its children (0: none is a collection). */
      below: number;
    }
    const frames: Frame[] = [];
    let bomb = false;
    const at = (node: Node, finding: Finding) => out.push(this.atOffset(node.range?.[0] ?? 0, finding));
    const add = (size: number, height: number) => {
      const parent = frames[frames.length - 1];
      if (!parent) return;
      parent.size += size;
      if (height > parent.below) parent.below = height;
    };
    const enter = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Node;
      if (isAlias(n)) {
        const target = anchors.get(n.source);
        if (target === undefined) {
          at(n, {
            code: 'RUNESET_ALIAS',
            message: `the alias *${n.source} has no anchor &${n.source} before it`,
            hint: 'define the anchor (&name) before the alias (*name) that uses it',
          });
        } else if (open.has(target)) {
          at(n, {
            code: 'RUNESET_ALIAS',
            message: `the alias *${n.source} is inside the value it refers to: that value would contain itself without end`,
            hint: 'an alias may only refer to a value defined before it and outside it',
          });
        } else {
          const info = done.get(target) ?? { size: 1, height: 0 };
          if (frames.length + info.height > MAX_DEPTH) {
            at(n, {
              code: 'RUNESET_TOO_DEEP',
              message: `through the alias *${n.source}, the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels`,
              hint: 'a runeset is configuration: flatten it',
            });
            add(1, 0);
          } else add(info.size, info.height);
        }
        return;
      }
      if (n.anchor) anchors.set(n.anchor, n);
      if (isCollection(n)) {
        const kids: unknown[] = [];
        if (isMap(n)) for (const pair of n.items) kids.push(pair.key, pair.value);
        else for (const item of n.items) kids.push(item);
        open.add(n);
        frames.push({ node: n, kids, next: 0, size: 1, below: 0 });
      } else {
        add(1, 0);
      }
    };
    enter(this.doc.contents);
    while (frames.length) {
      const f = frames[frames.length - 1]!;
      if (f.next < f.kids.length) {
        enter(f.kids[f.next++]);
        continue;
      }
      frames.pop();
      open.delete(f.node);
      const height = 1 + f.below;
      done.set(f.node, { size: f.size, height });
      if (f.size > MAX_EXPANDED_VALUES && !bomb) {
        bomb = true;
        at(f.node, {
          code: 'RUNESET_ALIAS',
          message: `through its aliases this value expands to more than ${MAX_EXPANDED_VALUES.toLocaleString('en-US')} values (${f.size > 1e15 ? 'more than 10^15' : Math.round(f.size).toLocaleString('en-US')}), a "billion laughs" bomb`,
          hint: 'an alias copies the whole value it refers to: use fewer, or smaller, aliased values',
        });
      }
      add(f.size, height);
    }
    return out;
  }

  /** A diagnostic at a character offset of the text. */
  atOffset(offset: number, finding: Finding): RunesetDiagnostic {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    const d: RunesetDiagnostic = {
      code: finding.code,
      severity: finding.severity ?? 'error',
      file: this.file,
      line,
      column: col,
      message: finding.message,
    };
    return finding.hint === undefined ? d : { ...d, hint: finding.hint };
  }

  /** A diagnostic at the node a value path leads to (or the nearest part of the path that exists). */
  at(path: ValuePath, anchor: Anchor, finding: Finding): RunesetDiagnostic {
    return this.atOffset(this.offsetOf(path, anchor), finding);
  }

  /** The character offset a diagnostic about `path` points at. */
  offsetOf(path: ValuePath, anchor: Anchor): number {
    const found = this.locate(path);
    const keyStart = found.key?.range?.[0];
    const value = found.value;
    const valueStart = value && !isEmptyScalar(value) ? value.range?.[0] : undefined;
    if (found.depth < path.length) {
      // The path goes further than the document (a value the schema looked into but is absent):
      // point at what exists.
      return keyStart ?? valueStart ?? this.rootOffset();
    }
    if (anchor === 'value') return valueStart ?? keyStart ?? this.rootOffset();
    return keyStart ?? valueStart ?? this.rootOffset();
  }

  /** The node at the end of a path, following aliases; the last duplicate key wins, as in `toJS()`. */
  locate(path: ValuePath): Located {
    let node: unknown = this.doc.contents;
    let key: Node | undefined;
    let depth = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = findLastPair(node.items, String(segment));
        if (!pair) break;
        key = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        key = undefined;
        node = item;
      } else {
        break;
      }
      depth++;
    }
    const value = node === null || node === undefined ? undefined : (node as Node);
    return key === undefined ? { value, depth } : { key, value, depth };
  }

  /** Every key that appears twice in one mapping, at the second one. */
  duplicateKeys(): RunesetDiagnostic[] {
    const out: RunesetDiagnostic[] = [];
    const walk = (node: unknown, path: ValuePath): void => {
      if (isMap(node)) {
        const seen = new Map<string, Node>();
        for (const pair of node.items) {
          const name = keyName(pair);
          if (name !== undefined) {
            const first = seen.get(name);
            if (first) {
              const firstLine = this.lines.linePos(first.range?.[0] ?? 0).line;
              out.push(
                this.atOffset((pair.key as Node).range?.[0] ?? 0, {
                  code: 'RUNESET_DUPLICATE_KEY',
                  message: `duplicate key '${name}' in ${describePath(path)} (first at line ${firstLine}); YAML keeps only the last one`,
                  hint: 'remove one of them, or merge the two',
                }),
              );
            } else {
              seen.set(name, pair.key as Node);
            }
          }
          walk(pair.value, [...path, name ?? '?']);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          walk(item, [...path, i]);
        });
      }
    };
    walk(this.doc.contents, []);
    return out;
  }

  private rootOffset(): number {
    return this.doc.contents?.range?.[0] ?? 0;
  }
}

/**
 * The offset of the first collection whose nesting deeper than `limit` shows in the tokens alone:
 * flow collections (`[`, `{`) inside each other, within block collections opened on the same line
 * (`- - -`, `? ? ?`). This is a lower bound of the depth (collections nested by indentation are
 * not counted), found by the lexer, which is fast and stops at the first one.
 */
function visiblyDeeperThan(text: string, limit: number): number | undefined {
  let offset = 0;
  let flow = 0;
  let compact = 0;
  for (const token of new Lexer().lex(text)) {
    // The lexer's control markers are not part of the text; every other token is a slice of it.
    if (token === '\x02' || token === '\x1f' || token === '\x18') continue;
    if (token === '[' || token === '{') {
      if (++flow + compact > limit) return offset;
    } else if (token === ']' || token === '}') {
      flow = Math.max(0, flow - 1);
    } else if (flow === 0 && (token === '-' || token === '?')) {
      if (++compact > limit) return offset;
    } else if (token.includes('\n')) {
      compact = 0;
    }
    offset += token.length;
  }
  return undefined;
}

/**
 * The offset of the first collection in a YAML syntax tree nested deeper than `limit`, if any;
 * walked with a stack of its own.
 */
function deeperThan(tokens: Iterable<CST.Token>, limit: number): number | undefined {
  const stack: [CST.Token | null | undefined, number][] = [];
  for (const token of tokens) {
    stack.push([token, 0]);
    while (stack.length) {
      const [t, depth] = stack.pop()!;
      if (!t) continue;
      if (t.type === 'document') {
        stack.push([t.value, depth]);
      } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
        if (depth + 1 > limit) return t.offset;
        for (const item of t.items) {
          stack.push([item.value, depth + 1]);
          if ('key' in item) stack.push([item.key, depth + 1]);
        }
      }
    }
  }
  return undefined;
}

/** A path as messages show it: `pipelines.enrich-orders.steps[1]`; the empty path is "the runeset". */
export function describePath(path: ValuePath): string {
  if (path.length === 0) return 'the runeset';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function keyName(pair: Pair<unknown, unknown>): string | undefined {
  return isScalar(pair.key) && pair.key.value !== null && typeof pair.key.value !== 'object' ? String(pair.key.value) : undefined;
}

function findLastPair(items: readonly Pair<unknown, unknown>[], name: string): Pair<unknown, unknown> | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (keyName(items[i]!) === name) return items[i];
  return undefined;
}

/** `key:` with nothing after it: a null scalar with no text, which has no place of its own. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}
