/** operate(): how every Sanctum operator subscribes upstream — chained to its destination, user code contained. */
// rxjs's own modules, not its index: the index loads all of RxJS (≈230 files, ~65 ms of every start).
import { Observable } from 'rxjs/internal/Observable';
import { Subscription } from 'rxjs/internal/Subscription';
import type { Observer, OperatorFunction, Subscriber, TeardownLogic } from 'rxjs';

/** What an upstream subscriber needs of its destination. */
type Destination = Pick<Subscriber<never>, 'add' | 'error' | 'complete'>;

/**
 * What an operator does with each notification from upstream. Whatever a handler throws becomes
 * the destination's error (a throwing `complete`/`error` handler too), so nothing escapes the pipe.
 */
export interface UpstreamHandlers<T> {
  next(value: T): void;
  /** Default: hand the error on to the destination. */
  error?(err: unknown): void;
  /** Default: complete the destination. */
  complete?(): void;
  /** Runs once when the upstream subscription ends, however it ends (after upstream's own teardown). */
  finalize?(): void;
}

/**
 * The subscriber an operator gives its source: Sanctum's equivalent of RxJS's internal
 * `OperatorSubscriber` (rxjs/src/internal/operators/OperatorSubscriber.ts).
 *
 * It is added to the destination when it is made — before it subscribes upstream — so when the
 * destination closes (a synchronous `take(1)` downstream, an error), this subscriber closes at
 * once, and a synchronous source (`range`, `from(generator)`) that checks `closed` stops pulling.
 * A plain observer handed to `source.subscribe({...})` is wrapped by RxJS in a subscriber of its
 * own that nothing downstream can reach until `subscribe` returns, which a synchronous endless
 * source never does.
 *
 * It extends `Subscription` and has `next`/`error`/`complete`, which RxJS takes as a subscriber
 * as it is (not wrapped): RxJS 7 exports `Subscriber` but deprecates constructing it, and this
 * duck-typed form also holds when the source comes from another copy of rxjs.
 */
export class UpstreamSubscriber<T> extends Subscription implements Observer<T> {
  private stopped = false;

  constructor(
    private readonly destination: Destination,
    private readonly handlers: UpstreamHandlers<T>,
  ) {
    super();
    destination.add(this);
  }

  next(value: T): void {
    if (this.stopped) return;
    try {
      this.handlers.next(value);
    } catch (err) {
      this.destination.error(err);
    }
  }

  error(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.handlers.error) this.handlers.error(err);
      else this.destination.error(err);
    } catch (e) {
      this.destination.error(e);
    } finally {
      this.unsubscribe();
    }
  }

  complete(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.handlers.complete) this.handlers.complete();
      else this.destination.complete();
    } catch (e) {
      this.destination.error(e);
    } finally {
      this.unsubscribe();
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.stopped = true;
    super.unsubscribe();
    this.handlers.finalize?.();
  }
}

/**
 * Makes an operator, as RxJS's own `operate()` does: `init` connects the source to the
 * destination when the result is subscribed to, usually with {@link UpstreamSubscriber}. What
 * `init` throws errors the destination.
 *
 * @example
 * const double = operate<number, number>((source, destination) => {
 *   source.subscribe(new UpstreamSubscriber(destination, { next: (n) => destination.next(n * 2) }));
 * });
 */
export function operate<T, R>(init: (source: Observable<T>, destination: Subscriber<R>) => TeardownLogic): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((destination) => {
      try {
        return init(source, destination);
      } catch (err) {
        destination.error(err);
        return undefined;
      }
    });
}

/**
 * A callback target as a function: a function as it is, an observer as its `next` (the `ports`
 * and `deadLetters` options take either). Made once per operator, not per event.
 */
export function toNext<T>(target: { next?(value: T): void } | ((value: T) => void)): (value: T) => void {
  if (typeof target === 'function') return target;
  return (value) => target.next?.(value);
}
