/**
 * Tells every node that a link changed, so each drops its cached copy. The shortener
 * publishes a code after `update` and `delete`; every {@link Resolver} given the bus
 * listens. {@link LocalInvalidationBus} serves one process; a Redis driver spans nodes.
 */
export interface InvalidationBus {
  /** Announces that the link with `code` changed or is gone. */
  publish(code: string): Promise<void>;
  /**
   * Calls `listener` with every published code; returns the function that unsubscribes.
   * `onMissed`, when given, is called whenever codes may have been published without
   * reaching this node (a driver's connection was down and is back): the subscriber
   * should then forget every code it holds.
   */
  subscribe(listener: (code: string) => void, onMissed?: () => void): () => void;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}

/** An {@link InvalidationBus} within one process: `publish` calls every listener at once. */
export class LocalInvalidationBus implements InvalidationBus {
  readonly #listeners = new Set<(code: string) => void>();
  readonly #onMissed = new Set<() => void>();

  /**
   * Calls every listener with `code`. A listener that throws does not stop the others;
   * the returned promise then rejects with an `AggregateError` of what they threw.
   */
  async publish(code: string): Promise<void> {
    const errors: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(code);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'invalidation listeners failed');
  }

  /**
   * Tells every subscriber that codes may have been missed: calls each `onMissed`. Nothing
   * is ever missed within one process; a driver that fans out through this bus calls it
   * when its own connection was interrupted. A callback that throws does not stop the
   * others.
   */
  missed(): void {
    for (const onMissed of [...this.#onMissed]) {
      try {
        onMissed();
      } catch {
        // One subscriber's failure must not keep the others from forgetting.
      }
    }
  }

  /** Adds `listener` (and `onMissed`); the returned function removes them. */
  subscribe(listener: (code: string) => void, onMissed?: () => void): () => void {
    const entry = (code: string) => listener(code);
    const missedEntry = onMissed && (() => onMissed());
    this.#listeners.add(entry);
    if (missedEntry) this.#onMissed.add(missedEntry);
    return () => {
      this.#listeners.delete(entry);
      if (missedEntry) this.#onMissed.delete(missedEntry);
    };
  }

  /** Removes every listener. */
  async close(): Promise<void> {
    this.#listeners.clear();
    this.#onMissed.clear();
  }
}
