/**
 * Checks of `nats` sources and sinks beyond the schema: what each needs (a subject or a stream),
 * server URLs, subject and name syntax, credentials that go together, runes that do nothing where
 * they are (JetStream options on a core subject, NATS runes on a file), and guarantees a runeset
 * may not expect (a core subject into a durable stream).
 */
import type { RunesetDiagnostic } from './diagnostics.js';
import { entries, type Obj } from './raw.js';
import type { RunesetYaml } from './source.js';

/** Why a server URL is not one the NATS client can dial, or undefined when it is. */
export function natsUrlProblem(url: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return `'${url}' is not a server address`;
  }
  if (parsed.protocol !== 'nats:' && parsed.protocol !== 'tls:') return `'${url}' is not a NATS address (nats:// or tls://, not ${parsed.protocol}//)`;
  if (parsed.hostname === '') return `'${url}' names no host`;
  if (parsed.pathname !== '' && parsed.pathname !== '/') return `'${url}' has a path; a NATS address is a host and a port`;
  return undefined;
}

/** Why a subject is not valid (for publishing when `wildcards` is false), or undefined. */
export function natsSubjectProblem(subject: string, wildcards: boolean): string | undefined {
  if (/\s/.test(subject)) return `subject '${subject}' has white space`;
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '') return `subject '${subject}' has an empty token (two dots, or a dot at an end)`;
    const wild = t === '*' || t === '>';
    if (!wild && (t.includes('*') || t.includes('>'))) return `subject '${subject}': a wildcard must be a whole token ('*' or '>')`;
    if (wild && !wildcards) return `subject '${subject}' has a wildcard; a sink publishes to one subject`;
    if (t === '>' && i !== tokens.length - 1) return `subject '${subject}': '>' may only be the last token`;
  }
  return undefined;
}

/** Why a JetStream stream or consumer name is not valid, or undefined. */
export function natsNameProblem(name: string): string | undefined {
  if (/[\s.*>/\\]/.test(name)) return `'${name}' may not hold white space, '.', '*', '>', '/' or '\\'`;
  return undefined;
}

export function checkNats(root: Obj, source: RunesetYaml): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  const durable = new Set(
    entries(root['streams'])
      .filter(([, spec]) => spec['durable'] === true)
      .map(([name]) => name),
  );
  const bad = (at: (string | number)[], message: string, hint?: string, severity: 'error' | 'warning' = 'error') =>
    out.push(source.at(at, 'value', { code: 'RUNESET_BAD_VALUE', severity, message, ...(hint ? { hint } : {}) }));
  const unused = (at: (string | number)[], message: string, hint: string) =>
    out.push(source.at(at, 'key', { code: 'RUNESET_BAD_VALUE', severity: 'warning', message, hint }));

  const common = (kind: 'sources' | 'sinks', name: string, spec: Obj) => {
    const base = [kind, name];
    const url = spec['url'];
    if (typeof url === 'string') {
      const servers = url.split(',').map((u) => u.trim());
      if (servers.every((u) => u === ''))
        bad([...base, 'url'], `${kind}.${name}.url names no server`, 'write nats://host:port, or several separated by commas');
      for (const u of servers.filter((s) => s !== '')) {
        const problem = natsUrlProblem(u);
        if (problem) bad([...base, 'url'], `${kind}.${name}.url: ${problem}`, 'write nats://host:port (or tls://host:port), several separated by commas');
      }
    }
    const stream = spec['stream'];
    if (typeof stream === 'string') {
      const problem = natsNameProblem(stream);
      if (problem) bad([...base, 'stream'], `${kind}.${name}.stream: the JetStream stream name ${problem}`);
    }
    const has = (k: string) => typeof spec[k] === 'string';
    if (has('user') !== has('password')) {
      const missing = has('user') ? 'password' : 'user';
      out.push(
        source.at(has('user') ? [...base, 'user'] : [...base, 'password'], 'key', {
          code: 'RUNESET_MISSING_KEY',
          message: `${kind}.${name} has ${has('user') ? 'user' : 'password'} but no ${missing}`,
          hint: `add ${missing} (from the environment: \${NATS_${missing.toUpperCase()}})`,
        }),
      );
    }
    if (has('token') && has('user')) bad([...base, 'token'], `${kind}.${name} has both token and user: the server takes one or the other`);
  };

  for (const [name, spec] of entries(root['sources'])) {
    const base = ['sources', name];
    if (spec['type'] !== 'nats') continue;
    common('sources', name, spec);
    const subject = spec['subject'];
    const stream = spec['stream'];
    if (subject === undefined && stream === undefined) {
      out.push(
        source.at(base, 'key', {
          code: 'RUNESET_MISSING_KEY',
          message: `source '${name}' (nats) needs a subject (a core NATS subscription) or a stream (a JetStream stream)`,
          hint: 'add subject: orders.>, or stream: ORDERS',
        }),
      );
    }
    if (typeof subject === 'string') {
      const problem = natsSubjectProblem(subject, true);
      if (problem) bad([...base, 'subject'], `sources.${name}.subject: ${problem}`);
    }
    if (stream === undefined) {
      if (spec['consumer'] !== undefined)
        unused(
          [...base, 'consumer'],
          `sources.${name}.consumer has no effect on a core NATS subject`,
          'a durable consumer reads a JetStream stream: add stream',
        );
    } else {
      if (spec['queue_group'] !== undefined) {
        bad(
          [...base, 'queue_group'],
          `sources.${name}.queue_group is for core NATS subjects; a JetStream source reads through its durable consumer`,
          'remove queue_group (or stream, to subscribe to the subject itself)',
        );
      }
      const consumer = spec['consumer'];
      if (typeof consumer === 'string') {
        const problem = natsNameProblem(consumer);
        if (problem) bad([...base, 'consumer'], `sources.${name}.consumer: the consumer name ${problem}`);
      }
    }
    const to = spec['to'];
    if (typeof to === 'string') {
      if (stream === undefined && durable.has(to)) {
        bad(
          [...base, 'to'],
          `source '${name}' subscribes to a core NATS subject and writes to the durable stream '${to}': core NATS keeps nothing, so what is published while Sanctum is down, and what a crash catches before its commit, is lost`,
          'read a JetStream stream (stream: NAME) for exactly-once into a durable stream',
          'warning',
        );
      }
      if (stream !== undefined && !durable.has(to)) {
        bad(
          [...base, 'to'],
          `source '${name}' reads the JetStream stream '${String(stream)}' into '${to}', which is not durable: a message is acknowledged once it is in '${to}', so a crash loses what the pipelines had not finished`,
          `make '${to}' durable for exactly-once`,
          'warning',
        );
      }
    }
  }

  for (const [name, spec] of entries(root['sinks'])) {
    const base = ['sinks', name];
    if (spec['type'] !== 'nats') continue;
    common('sinks', name, spec);
    const subject = spec['subject'];
    if (subject === undefined)
      out.push(
        source.at(base, 'key', {
          code: 'RUNESET_MISSING_KEY',
          message: `sink '${name}' (nats) needs a subject to publish to`,
          hint: 'add subject: orders.enriched',
        }),
      );
    else if (typeof subject === 'string') {
      const problem = natsSubjectProblem(subject, false);
      if (problem) bad([...base, 'subject'], `sinks.${name}.subject: ${problem}`);
    }
  }
  return out;
}
