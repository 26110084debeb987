/** Starts a real `sanctum run --metrics 127.0.0.1:0` on a runeset, and talks to it: scrape, tap, stop. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { getMetricsFromIterator } from 'prom2javascript';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';

export interface LiveRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT`, from the run's log line. */
  readonly url: string;
  readonly dir: string;
  stdout: string;
  stderr: string;
  /** Writes NDJSON lines to the run's stdin source. */
  feed(events: readonly unknown[]): void;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code when the run ends. */
  readonly exited: Promise<number | null>;
}

/** Starts a run of `files['r.yaml']` in a temporary directory (or of `dir/r.yaml`), and waits until it serves metrics. */
export async function startRun(files: Record<string, string>, args: string[] = [], dir = tempDir(files)): Promise<LiveRun> {
  const child = spawn(process.execPath, [BIN, 'run', `${dir}/r.yaml`, '--metrics', '127.0.0.1:0', '--log-format', 'json', ...args], { cwd: dir });
  const run = {
    child,
    dir,
    url: '',
    stdout: '',
    stderr: '',
    feed(events: readonly unknown[]) {
      child.stdin.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    },
    async stop() {
      child.kill('SIGTERM');
      return run.exited;
    },
    exited: new Promise<number | null>((resolve) => child.on('close', resolve)),
  };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  run.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no metrics URL in the log:\n${run.stderr}`)), 15_000);
    const check = () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(run.stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stderr.on('data', check);
    void run.exited.then(() => reject(new Error(`the run ended before serving metrics:\n${run.stderr}`)));
  });
  return run;
}

/** One sample of a parsed exposition. */
export interface Sample {
  readonly name: string;
  readonly type: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Scrapes `/metrics` and parses it with a real Prometheus text-format parser (prom2javascript). */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const type = res.headers.get('content-type');
  if (!type?.startsWith('text/plain; version=0.0.4')) throw new Error(`unexpected content type ${type}`);
  return parseExposition(await res.text());
}

/** Parses an exposition with prom2javascript, flattened to samples (histogram buckets as `_bucket` samples with `le`). */
export async function parseExposition(text: string): Promise<Sample[]> {
  // prom2javascript reads no NaN, which the format allows (Node's event loop lag before its first
  // sample): those lines are left out.
  const lines = text.split('\n').filter((l) => !/ NaN$/.test(l));
  const families = await getMetricsFromIterator(lines[Symbol.iterator]());
  const out: Sample[] = [];
  for (const [name, f] of Object.entries(families)) {
    for (const d of f.data) {
      const labels = d.labels;
      if ('buckets' in d) {
        for (const [le, v] of Object.entries(d.buckets)) out.push({ name: `${name}_bucket`, type: f.type, labels: { ...labels, le }, value: v });
        out.push({ name: `${name}_count`, type: f.type, labels, value: d.count });
        out.push({ name: `${name}_sum`, type: f.type, labels, value: d.sum ?? NaN });
      } else if ('quantiles' in d) {
        out.push({ name: `${name}_count`, type: f.type, labels, value: d.count ?? NaN });
        out.push({ name: `${name}_sum`, type: f.type, labels, value: d.sum ?? NaN });
      } else {
        out.push({ name, type: f.type, labels, value: d.value });
      }
    }
  }
  return out;
}

/** The value of the one sample with this name and labels (undefined when there is none). */
export function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

/** Every sample of a metric, as `labels → value` (labels as sorted `k=v` pairs joined by commas). */
export function series(samples: readonly Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === name)) {
    out[
      Object.entries(s.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    ] = s.value;
  }
  return out;
}

export { until } from '../helpers.js';

/** The JSON lines of a log. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
