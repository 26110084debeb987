/** The runeset's YAML as parsed: maps value paths back to the lines and columns they came from. */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { ErrorCode } from '../core/errors.js';
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

/** The parsed runeset: the YAML document plus what it takes to point into the text. */
export class RunesetYaml {
  readonly doc: Document.Parsed;
  readonly lines = new LineCounter();

  /**
   * @param file the runeset's name in diagnostics
   * @param text the runeset's text
   */
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // Duplicate keys are found by `duplicateKeys()`, which says where the first one was.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
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
        node.items.forEach((item, i) => walk(item, [...path, i]));
      }
    };
    walk(this.doc.contents, []);
    return out;
  }

  private rootOffset(): number {
    return this.doc.contents?.range?.[0] ?? 0;
  }
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
