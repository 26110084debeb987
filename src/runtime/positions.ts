/** The consumer names under which sources and sinks commit their positions (apart, so readers and destinations in their own files can use them). */

/** The consumer name under which a source's positions are committed. */
export function sourceConsumer(source: string): string {
  return `source:${source}`;
}

/** The consumer name under which a durable sink's position is committed. */
export function sinkConsumer(sink: string): string {
  return `sink:${sink}`;
}
