/** spellState(): the `state` and `timers` of a spell summoned in TypeScript, over a Storage of your choice. */
import type { Storage } from '../core/storage.js';
import type { SpellStateProvider, SpellStateSession } from '../spellcraft/spell.js';
import { openMemoryStorage } from '../storage/index.js';
import { stateNamespace } from './durable.js';
import { StateSession } from './state-library.js';

/** Where a summoned spell's state and timers live. */
export interface SpellStateOptions {
  /**
   * The store: `openSqliteStorage(...)` keeps state and timers across runs (close it yourself when
   * done). Default: a store in memory, opened on first use and kept as long as this provider.
   */
  readonly storage?: Storage;
  /**
   * The state namespace. Default: the spell's name, as in a runeset, so a spell summoned over a
   * runeset's data file sees the state that spell has there.
   */
  readonly namespace?: string;
  /** Value fields `state.query` may use (a runeset's `spells.<name>.state.indexes`). */
  readonly indexes?: readonly string[];
}

/**
 * State and timers for `summon(file, { state })`: each subscription of the spell's operators gets a
 * session of `state` and `timers` in `storage`, on the operator's clock; its writes commit together
 * as each burst of events ends and when the subscription ends. Subscribe one operator of a namespace
 * at a time: two would each commit their own view.
 *
 * @example
 * const storage = openSqliteStorage({ dir: '.sanctum/counts' });
 * const counter = await summon('count.lua', { state: spellState({ storage }) });
 */
export function spellState(options: SpellStateOptions = {}): SpellStateProvider {
  let storage = options.storage;
  const store = (): Storage => (storage ??= openMemoryStorage());
  return {
    open(spell: string, now: () => number): SpellStateSession {
      const session = new StateSession(() => store().state, options.namespace ?? stateNamespace(spell), options.indexes ?? [], {
        timers: () => store().timers,
        now,
      });
      return {
        caster: session.casterOptions(),
        get size() {
          return session.size;
        },
        commit() {
          session.sweep(now()); // a few expired values at a time, deleted in the same commit
          const { state, timers } = session.takeChanges();
          if (state.length === 0 && timers.length === 0) return;
          try {
            store().commitBatch({ state, ...(timers.length > 0 ? { timers } : {}) });
          } catch (e) {
            session.discard(); // the store's state and timers are the truth again
            throw e;
          }
        },
      };
    },
  };
}
