/**
 * What observing reads from a run, as interfaces: observe sits beside the runtime, not above it,
 * so it names the shapes it needs and an `OpenedRuneset` (with its spells and graph) fits them.
 */
import type { Observable } from 'rxjs';
import type { EventValue } from '../core/event.js';

/** A spell's counters, read at scrape time. */
export interface ObservedSpellStats {
  readonly casts: number;
  readonly emitted: number;
  readonly emittedToPorts: ReadonlyMap<string, number>;
  readonly failedByCode: ReadonlyMap<string, number>;
  readonly deadLetteredByCode: ReadonlyMap<string, number>;
}

/** Times one cast in `every`. */
export interface ObservedCastTimer {
  readonly every: number;
  record(seconds: number): void;
}

/** A summoned spell, as far as metrics and taps need it. */
export interface ObservedSpell {
  readonly name: string;
  readonly stats: ObservedSpellStats;
  readonly probes: {
    emitted?: ((event: EventValue, port: string) => void) | undefined;
    castTimer?: ObservedCastTimer | undefined;
  };
  memoryUsed(): number;
}

/** The stream graph, as far as metrics and taps need it. */
export interface ObservedGraph {
  readonly streamNames: readonly string[];
  /** Events written to the stream so far. */
  appended(stream: string): number;
  /** Dead letters written by every pipeline and source. */
  readonly deadLetters: number;
  stream(name: string): Observable<EventValue>;
}

export interface ObservedSink {
  readonly name: string;
  readonly written: number;
  /** A network sink's counters. */
  readonly stats?:
    | {
        /** Requests by answer status (`200`, `503`) or failure (`timeout`, `error`). */
        readonly requests: ReadonlyMap<string, number>;
        readonly retries: number;
        readonly deadLettered: number;
      }
    | undefined;
}

/** A source's counters. */
export interface ObservedSource {
  readonly name: string;
  readonly type: string;
  /** Events handed to its stream. */
  readonly events: number;
  /** Requests answered, by HTTP status (network sources). */
  readonly answers: ReadonlyMap<number, number>;
  /** Set by the metrics: times each acknowledged request. */
  readonly probes: { ackTimer?: { record(seconds: number): void } | undefined };
  /** What a followed file source sees of its files (`follow: true`). */
  readonly followed?: { readonly rotations: number; readonly truncations: number; readonly filesOpen: number; readonly bytesBehind: number } | undefined;
}

/** Where a run is, for `/readyz`. */
export interface ObservedStatus {
  readonly phase: 'starting' | 'running' | 'stopping' | 'ended';
  readonly sources: readonly { readonly name: string; readonly type: string; readonly state: 'starting' | 'open' | 'ended'; readonly url?: string }[];
  /** Events each durable consumer has yet to read. */
  readonly lag: readonly { readonly consumer: string; readonly events: number }[];
}

/** A network source's or sink's connection (`source:orders`, `sink:out`), read at scrape time. */
export interface ObservedConnector {
  readonly name: string;
  readonly type: string;
  readonly connected: boolean;
  readonly disconnects: number;
  readonly retries: number;
  readonly redeliveriesDropped: number;
  readonly overflowDropped: number;
}

/** A run to observe: an `OpenedRuneset` fits. */
export interface ObservedRun {
  readonly graph: ObservedGraph;
  readonly spells: ReadonlyMap<string, ObservedSpell>;
  /** Filled when the run starts. */
  readonly sinks?: readonly ObservedSink[];
  readonly sources?: readonly ObservedSource[];
  /** Reloads done and refused. */
  readonly reloads?: { readonly ok: number; readonly failed: number };
  /** Where the run is (for `/readyz`). */
  status?(): Promise<ObservedStatus>;
  /** Filled when the run starts. */
  readonly connectors?: readonly ObservedConnector[];
}
