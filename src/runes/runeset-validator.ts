// @ts-nocheck
/** Generated from schema/runeset.schema.json by `npx tsx scripts/gen-runes.ts` (ajv standalone code): do not edit; edit the schema and run it again. */
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://sanctum.dev/schema/runeset.schema.json","title":"Sanctum runeset","description":"A runeset is the YAML file that declares a Sanctum deployment: its energy streams, the spells that run over them, where events come from (sources), where they go (sinks) and the pipelines that connect them. Every key is a rune (a configuration option). Relative paths are relative to the directory of the runeset file. Any string may use `${VAR}` or `${VAR:-default}` to read an environment variable; write `$${` for a literal `${`.","type":"object","additionalProperties":false,"required":["version","streams"],"properties":{"version":{"const":1,"description":"The runeset format version. This Sanctum reads version 1."},"sanctum":{"$ref":"#/definitions/SanctumRunes"},"streams":{"description":"The energy streams, by name. A stream carries events from the sources and pipelines that write to it to the pipelines and sinks that read it. The stream `dead-letters` always exists, declared or not.","type":"object","propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"$ref":"#/definitions/StreamSpec"}},"spells":{"description":"The spells, by name: Lua files that pipelines cast on each event.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"$ref":"#/definitions/SpellSpec"}},"sources":{"description":"Where events come from, by name. Each source writes the events it reads to a stream.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"$ref":"#/definitions/SourceSpec"}},"sinks":{"description":"Where events go, by name. Each sink writes the events of its streams as one JSON value per line.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"$ref":"#/definitions/SinkSpec"}},"pipelines":{"description":"The pipelines, by name. A pipeline reads its streams, casts its spells one after another on each event, and writes what the last spell emits to its `to` stream.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"$ref":"#/definitions/PipelineSpec"}}},"definitions":{"Name":{"type":"string","pattern":"^[A-Za-z][A-Za-z0-9_-]*$","patternErrorMessage":"names start with a letter and contain only letters, digits, '_' and '-'","description":"A name: a letter, then letters, digits, `_` or `-`."},"StreamRefs":{"description":"One stream name, or a list of stream names.","anyOf":[{"description":"One stream name.","allOf":[{"$ref":"#/definitions/Name"}]},{"description":"A list of stream names.","type":"array","minItems":1,"uniqueItems":true,"items":{"$ref":"#/definitions/Name"}}]},"SanctumRunes":{"description":"Sanctum's own runes.","type":"object","additionalProperties":false,"default":{},"properties":{"log_level":{"type":"string","enum":["debug","info","warn","error"],"description":"The least severe log line Sanctum and the spells print.","default":"info"},"data_dir":{"description":"The directory where Sanctum keeps its event log and the spells' state, relative to the runeset file's directory. By default each runeset has its own: `.sanctum/{name}`, where `{name}` is the runeset file's name without `.runeset.yaml` or `.yaml` (`orders.runeset.yaml` keeps its data in `.sanctum/orders`), so two runesets in one folder never share state. Give two runesets the same `data_dir` on purpose to share durable streams; spells of the same name then share their state too.","type":"string","minLength":1,"default":".sanctum/{name}"},"log_format":{"type":"string","enum":["auto","json","pretty"],"description":"How Sanctum writes its log lines on stderr: `json` (one JSON object a line, for machines), `pretty` (for people), or `auto`: pretty on a terminal, JSON otherwise. `sanctum run --log-format` overrides it.","default":"auto"},"metrics":{"$ref":"#/definitions/MetricsRunes"},"synchronous":{"type":"string","enum":["FULL","NORMAL"],"description":"How durable a commit is before it is acknowledged: `FULL` (fsync: survives power loss) or `NORMAL` (survives a crash of Sanctum, may lose the last commits on power loss; faster for small commits). Set on every connection to the data file.","default":"FULL"},"batch_size":{"type":"integer","minimum":1,"maximum":100000,"description":"The most events a durable pipeline casts and commits in one transaction. Larger batches: more throughput, more latency.","default":1000}}},"MetricsRunes":{"description":"Serve the run's metrics (`/metrics`, in the Prometheus text format), live taps (`/tap`) and health checks (`/healthz`, `/readyz`) over HTTP while it runs; `sanctum top` and `sanctum tap` read them. `sanctum run --metrics` does the same. See docunomicon/observability.md and docunomicon/service.md.","type":"object","additionalProperties":false,"required":["listen"],"properties":{"listen":{"type":"string","pattern":"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$","patternErrorMessage":"expected host:port, :port or port, such as 127.0.0.1:9598","description":"Where to serve: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only). Port 0 picks a free port; the log says which. Binding `0.0.0.0` serves every network: read docunomicon/observability.md first, since a tap shows your events."},"cast_sample":{"type":"integer","minimum":1,"description":"Time one cast in this many for `sanctum_spell_cast_duration_seconds` (1 times every cast, at a small cost per event).","default":16},"tap":{"type":"boolean","description":"Serve `/tap`, which streams live events to `sanctum tap`. Set it to false where whoever reaches the address must not read the events.","default":true},"ready_lag":{"type":"integer","minimum":0,"description":"`/readyz` answers 503 while a pipeline or sink over durable streams is more than this many events behind (and while a source is not open yet, or the run is stopping).","default":10000}}},"StreamSpec":{"description":"A stream's options. Leave it empty (`orders: {}` or `orders:`) when there is nothing to say.","type":["object","null"],"additionalProperties":false,"properties":{"description":{"description":"Free text: what the events on this stream are.","type":"string"},"durable":{"type":"boolean","description":"Keep the stream's events in the event log under `sanctum.data_dir`: every event gets a sequence number and a timestamp, appends are acknowledged only once durable, and pipelines reading the stream become exactly-once consumers that resume after a crash or restart where they left off.","default":false},"key":{"description":"A top-level field of each event to store as the event's key (durable streams): shown by `sanctum tail`; events without it have no key.","type":"string","minLength":1},"retention":{"description":"How much of a durable stream to keep: the oldest events beyond the limits are deleted when the run starts and as it goes (sequence numbers are never reused).","type":"object","additionalProperties":false,"properties":{"max_events":{"type":"integer","minimum":1,"description":"Keep at most this many events."},"max_age":{"type":["integer","string"],"pattern":"^0*[1-9][0-9]*(ms|s|m|h|d)?$","patternErrorMessage":"write a duration above zero as a whole number and a unit: ms, s, m, h or d (e.g. 90s, 15m, 12h, 7d); a bare number is seconds","minimum":1,"description":"Keep events younger than this: a number of seconds, or a duration such as `90s`, `15m`, `12h`, `7d`."}}}}},"SpellSpec":{"description":"A spell: a Lua file and the runes it is summoned with.","type":"object","additionalProperties":false,"required":["file"],"properties":{"file":{"description":"The spell's Lua file, relative to the runeset file's directory.","type":"string","minLength":1},"runes":{"description":"The spell's own runes: any mapping, handed to the spell's `init(runes)` hook.","type":"object","additionalProperties":true,"default":{}},"on_error":{"type":"string","enum":["dead-letter","skip","stop"],"description":"What happens to an event whose cast fails: `dead-letter` sends it, with the error, to the pipeline's dead-letter stream; `skip` logs a warning and drops it; `stop` stops the pipeline.","default":"dead-letter"},"budget":{"$ref":"#/definitions/BudgetSpec"},"tick":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"Call the spell's `tick(now, emit)` hook this often, in processing time, between batches (and once more when the pipeline stops gracefully): a duration such as `250ms`, `1s` or `5m` (a bare number is seconds). A spell with no `tick` function ignores it (`sanctum check` warns). See docunomicon/time.md."},"window":{"$ref":"#/definitions/WindowSpec"},"state":{"description":"The spell's durable state (the Lua `state` library): which top-level fields of stored values to index, so that `state.query{ index = \"field\", gt = …, lt = … }` uses the index.","type":"object","additionalProperties":false,"properties":{"indexes":{"description":"Value fields to index (numbers and strings).","type":"array","items":{"type":"string","minLength":1},"uniqueItems":true}}}}},"BudgetSpec":{"description":"Limits on what one spell may use.","type":"object","additionalProperties":false,"default":{},"properties":{"instructions":{"type":"integer","minimum":1000,"description":"The Lua instructions one call of `init`, `cast` or `finish` may run before it fails (a runaway loop).","default":10000000},"emits":{"type":"integer","minimum":1,"description":"The events one call of `init`, `cast` or `finish` may emit (SPELL_EMIT_LIMIT beyond). A call's outputs are held until it succeeds, all or nothing, so their number is bounded; raise it for a `finish` that emits a row per key of a large state.","default":100000},"memory":{"description":"The Lua heap the spell may use: a number of bytes, or a size such as `512KiB`, `64MiB` or `1GiB` (KiB, MiB, GiB are powers of 1024; KB, MB, GB powers of 1000; any case, so `64mb` is 64,000,000 bytes), the same sizes `sanctum cast --memory` takes. At least 64KiB.","anyOf":[{"type":"integer","minimum":65536},{"type":"string","pattern":"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$","patternErrorMessage":"write a size as a whole number of bytes, or one with a unit: B, KB, MB, GB, KiB, MiB or GiB, in any case (e.g. 64MiB)"}],"default":"64MiB"}}},"WindowSpec":{"description":"Event-time windows for a spell that uses the bundled `sanctum.window` module: handed to its `init(runes)` as `runes.window`, durations in ms. See docunomicon/time.md.","type":"object","additionalProperties":false,"required":["kind"],"properties":{"kind":{"type":"string","enum":["tumbling","hopping","session"],"description":"`tumbling`: fixed windows of `size` one after another; `hopping`: windows of `size` starting every `slide` (they overlap); `session`: a key's events no more than `gap` apart, one window."},"size":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How long a window is (`tumbling` and `hopping`)."},"slide":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How far apart hopping windows start (`hopping`); at most `size`."},"gap":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How long a key may be silent before its session closes (`session`)."},"time":{"description":"The event field that holds the event's time, in ms since the epoch. Without it, windows run on processing time: an event's time is `sanctum.now()` when it is cast.","type":"string","minLength":1},"key":{"description":"The event field windows are kept per (one window per value). Without it, one window covers every event.","type":"string","minLength":1},"lateness":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":0,"description":"How late an event may be: the watermark is the latest event time seen minus this, and an event older than the watermark goes to the `late` port. Default 0."},"idle":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"When no event has come for this long (processing time), ticks move the watermark on as if event time passed like processing time, so the windows of a quiet input close. Default: never (the spell needs a `tick` rune for it)."}},"allOf":[{"if":{"properties":{"kind":{"const":"session"}},"required":["kind"]},"then":{"required":["gap"]}},{"if":{"properties":{"kind":{"const":"tumbling"}},"required":["kind"]},"then":{"required":["size"]}},{"if":{"properties":{"kind":{"const":"hopping"}},"required":["kind"]},"then":{"required":["size","slide"]}}]},"SourceSpec":{"description":"A source of events: a file, standard input, an HTTP endpoint that clients POST events to, or NATS (one JSON event per message). docunomicon/connectors.md describes each, with its delivery guarantee.","type":"object","additionalProperties":false,"required":["type","to"],"properties":{"type":{"type":"string","enum":["file","stdin","http","nats"],"description":"Where the events are read from: `file` (the file at `path`), `stdin`, `http` (a server on `listen` that takes POSTed events), or `nats` (a NATS subject, or a JetStream stream)."},"path":{"description":"For `file`: the file to read, relative to the runeset file's directory (required); with `follow`, it may be a glob (`*`, `?` and `[...]` within a path segment). For `http`: the URL path that takes POSTs, such as `/events` (default `/`).","type":"string","minLength":1},"to":{"description":"The stream the events are written to.","allOf":[{"$ref":"#/definitions/Name"}]},"format":{"type":"string","enum":["ndjson","lines","json"],"description":"How the input is read: `ndjson` (one JSON event per line), `lines` (each line of text becomes the event `{ message, source, line }`: the text, the source's name and the line number; a spell parses the rest), or `json` (the whole input is one JSON document: an array is its events, anything else one event). An `http` source reads a request whose `Content-Type` is `application/json` as `json` unless `format` is `lines`.","default":"ndjson"},"rate":{"type":"number","exclusiveMinimum":0,"description":"At most this many events a second (file sources): replay a recorded file at a pace, for demos and load tests. Default: as fast as the pipeline takes them."},"loop":{"type":"boolean","description":"When the file ends, read it again from the start, until the run is stopped (file sources into streams that are not durable). With `rate`, a live stream from a recorded file.","default":false},"follow":{"type":"boolean","description":"For `file`: keep reading as the file grows, like `tail -F`, until the run is stopped (SIGINT or SIGTERM). A file renamed away (log rotation) is read to its end and the new file at `path` from its start; a file that gets shorter (copytruncate) is read again from its start. `path` may then be a glob (`logs/*.log`): files that come to match it are read too. Into a durable stream each file's position (its device, inode and byte offset) commits with its events: exactly once across restarts and rotations. docunomicon/connectors.md#followed-files says what rotation can and cannot keep.","default":false},"poll_interval":{"type":["integer","string"],"pattern":"^0*[1-9][0-9]*(ms|s|m|h|d)?$","patternErrorMessage":"write a duration above zero as a whole number and a unit: ms, s, m, h or d (e.g. 1s)","minimum":1,"description":"For `file` with `follow`: how often the files are looked at even when the file system sent no change notice (inotify does not see writes made on another machine to a network file system). A number of seconds, or a duration such as `250ms`, `1s`.","default":"1s"},"start_at":{"type":"string","enum":["beginning","end"],"description":"For `file` with `follow`: where a file that is there when the run starts, and that no earlier run has read into a durable stream, is read from: `beginning` (all of it) or `end` (only what is written from now on). A file that appears later is always read from its beginning, and a file with a committed position from there.","default":"beginning"},"listen":{"type":"string","pattern":"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$","patternErrorMessage":"expected host:port, :port or port, such as 127.0.0.1:9598","description":"For `http` (required): where the server listens: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only; `0.0.0.0:8080` serves every network). Port 0 picks a free port; the log says which."},"token":{"description":"For `http`: a bearer token every request must send (`Authorization: Bearer <token>`); others get 401. The server speaks plain HTTP: off this machine, put a TLS proxy in front. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment, not the file.","type":"string","minLength":1},"max_body":{"description":"For `http`: the largest request body taken; a bigger one is answered 413 and nothing of it is appended. A number of bytes, or a size such as `512KiB` or `4MiB`.","anyOf":[{"type":"integer","minimum":1},{"type":"string","pattern":"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$","patternErrorMessage":"write a size as a whole number of bytes, or one with a unit: B, KB, MB, GB, KiB, MiB or GiB, in any case (e.g. 1MiB)"}],"default":"1MiB"},"queue":{"type":"integer","minimum":1,"maximum":100000,"description":"For `http`: how many requests may be in the source at once (their bodies being read, parsed, or waiting for room in the stream). One more is answered 503 with `Retry-After`. With `max_body` it bounds the memory the source holds.","default":64},"max_wait":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: how long a request waits for room in a stream whose pipeline is behind before it is answered 429 with `Retry-After` (nothing of it appended). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"5s"},"timeout":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the time a client has to send a whole request (headers and body); a slower one is answered 408 and disconnected (slow clients cannot hold connections open). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"30s"},"url":{"description":"The NATS server to connect to (`nats` sources): `nats://host:port`, or several, separated by commas, to try in turn (a cluster). Default: `nats://127.0.0.1:4222`.","type":"string","minLength":1},"subject":{"description":"The NATS subject (`nats` sources): without `stream`, a core NATS subscription to it (wildcards `*` and `>` allowed); with `stream`, only the stream's messages on that subject are read.","type":"string","minLength":1},"stream":{"description":"A JetStream stream to read (`nats` sources) with a durable consumer, from where the last run stopped: into a durable Sanctum stream, exactly once (each batch commits with the JetStream sequence it reached, and is acknowledged to NATS after that commit).","type":"string","minLength":1},"consumer":{"description":"The name of the durable JetStream consumer (`nats` sources with `stream`). Default: `sanctum-` and the source's name.","type":"string","minLength":1},"user":{"description":"The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.","type":"string","minLength":1},"password":{"description":"The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.","type":"string","minLength":1},"queue_group":{"description":"A queue group (`nats` sources on a core subject): the subscribers of one queue group share the messages, each message going to one of them.","type":"string","minLength":1}},"if":{"type":"object","properties":{"type":{"const":"file"}},"required":["type"]},"then":{"required":["path"]}},"SinkSpec":{"description":"A sink: writes the events of its streams as newline-delimited JSON to standard output or error, a file or an HTTP endpoint, or publishes each as a NATS message. docunomicon/connectors.md describes each, with its delivery guarantee.","type":"object","additionalProperties":false,"required":["type","from"],"properties":{"type":{"type":"string","enum":["stdout","stderr","file","http","nats"],"description":"Where the events are written: `stdout`, `stderr`, `file` (the file at `path`), `http` (POSTed to `url`), or `nats` (a NATS subject, or a JetStream stream)."},"from":{"description":"The stream, or list of streams, whose events the sink writes.","allOf":[{"$ref":"#/definitions/StreamRefs"}]},"path":{"description":"The file to write, relative to the runeset file's directory. Required when `type` is `file`.","type":"string","minLength":1},"mode":{"type":"string","enum":["append","truncate"],"description":"For `file`: `append` keeps what the file holds and adds to it; `truncate` empties it when the run starts. Default: `append` when the sink reads durable streams (a restart goes on where the last run stopped), `truncate` otherwise."},"url":{"description":"For `http` (required): the `http://` or `https://` URL each batch is POSTed to, as NDJSON. For `nats`: the NATS server to connect to, `nats://host:port`, or several, separated by commas, to try in turn (a cluster); default `nats://127.0.0.1:4222`.","type":"string","minLength":1},"token":{"description":"For `http`: sent as `Authorization: Bearer <token>`. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment.","type":"string","minLength":1},"headers":{"description":"For `http`: more request headers, by name.","type":"object","additionalProperties":{"description":"The header's value.","type":"string"}},"batch_size":{"type":"integer","minimum":1,"maximum":100000,"description":"For `http`: the most events in one POST.","default":1000},"timeout":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: how long one POST may take (connecting, sending, the answer) before it counts as failed and is retried. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"10s"},"retries":{"type":"integer","minimum":0,"maximum":1000,"description":"For `http`: how many times a POST that failed for a passing reason (a 5xx, 408 or 429 answer, a timeout, a connection error) is sent again, after a growing, jittered wait. When they are used up, its events become dead letters (`SINK_RETRIES_EXHAUSTED`); a 4xx answer makes them dead letters at once (`SINK_REJECTED`).","default":8},"backoff":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the wait before the first retry; it doubles with each retry, up to `max_backoff`, each wait drawn at random between half and all of it. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"100ms"},"max_backoff":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the longest wait between two retries (a `Retry-After` from the server is followed up to it). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"30s"},"subject":{"description":"The NATS subject each event is published to (`nats` sinks; no wildcards). Required for `nats` sinks.","type":"string","minLength":1},"stream":{"description":"A JetStream stream that captures `subject` (`nats` sinks): each event is published with a `Nats-Msg-Id` header and the sink waits for the server's acknowledgement, so a batch sent again after a crash is dropped by the server as a duplicate.","type":"string","minLength":1},"user":{"description":"The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.","type":"string","minLength":1},"password":{"description":"The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.","type":"string","minLength":1}},"if":{"type":"object","properties":{"type":{"const":"file"}},"required":["type"]},"then":{"required":["path"]}},"PipelineSpec":{"description":"A pipeline: reads events from its streams and casts its steps on each, in order.","type":"object","additionalProperties":false,"required":["from","steps"],"properties":{"from":{"description":"The stream, or list of streams, the pipeline reads.","allOf":[{"$ref":"#/definitions/StreamRefs"}]},"steps":{"description":"The spells cast on each event, in order. What a step emits on its default port (`out`) goes to the next step.","type":"array","minItems":1,"items":{"$ref":"#/definitions/StepSpec"}},"to":{"description":"The stream that receives what the last step emits on its default port. Without it, those events are dropped.","allOf":[{"$ref":"#/definitions/Name"}]},"dead_letters":{"description":"The stream that receives the events whose cast failed (with the error), when the spell's `on_error` is `dead-letter`.","allOf":[{"$ref":"#/definitions/Name"}],"default":"dead-letters"}}},"StepSpec":{"description":"A step: a spell name, or a mapping with the spell name and the streams its named ports go to.","anyOf":[{"description":"The name of the spell this step casts; its named ports are not wired.","allOf":[{"$ref":"#/definitions/Name"}]},{"description":"A spell name and where its named ports go.","type":"object","additionalProperties":false,"required":["spell"],"properties":{"spell":{"description":"The name of the spell this step casts.","allOf":[{"$ref":"#/definitions/Name"}]},"ports":{"description":"Named output ports and the stream each goes to: a spell that calls `emit(event, \"alerts\")` needs `alerts` wired here. The default port `out` always goes to the next step.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"description":"The stream this port's events go to.","allOf":[{"$ref":"#/definitions/Name"}]}}}}]}}};
const schema14 = {"type":"string","pattern":"^[A-Za-z][A-Za-z0-9_-]*$","patternErrorMessage":"names start with a letter and contain only letters, digits, '_' and '-'","description":"A name: a letter, then letters, digits, `_` or `-`."};
const schema15 = {"description":"A stream's options. Leave it empty (`orders: {}` or `orders:`) when there is nothing to say.","type":["object","null"],"additionalProperties":false,"properties":{"description":{"description":"Free text: what the events on this stream are.","type":"string"},"durable":{"type":"boolean","description":"Keep the stream's events in the event log under `sanctum.data_dir`: every event gets a sequence number and a timestamp, appends are acknowledged only once durable, and pipelines reading the stream become exactly-once consumers that resume after a crash or restart where they left off.","default":false},"key":{"description":"A top-level field of each event to store as the event's key (durable streams): shown by `sanctum tail`; events without it have no key.","type":"string","minLength":1},"retention":{"description":"How much of a durable stream to keep: the oldest events beyond the limits are deleted when the run starts and as it goes (sequence numbers are never reused).","type":"object","additionalProperties":false,"properties":{"max_events":{"type":"integer","minimum":1,"description":"Keep at most this many events."},"max_age":{"type":["integer","string"],"pattern":"^0*[1-9][0-9]*(ms|s|m|h|d)?$","patternErrorMessage":"write a duration above zero as a whole number and a unit: ms, s, m, h or d (e.g. 90s, 15m, 12h, 7d); a bare number is seconds","minimum":1,"description":"Keep events younger than this: a number of seconds, or a duration such as `90s`, `15m`, `12h`, `7d`."}}}}};
const schema12 = {"description":"Sanctum's own runes.","type":"object","additionalProperties":false,"default":{},"properties":{"log_level":{"type":"string","enum":["debug","info","warn","error"],"description":"The least severe log line Sanctum and the spells print.","default":"info"},"data_dir":{"description":"The directory where Sanctum keeps its event log and the spells' state, relative to the runeset file's directory. By default each runeset has its own: `.sanctum/{name}`, where `{name}` is the runeset file's name without `.runeset.yaml` or `.yaml` (`orders.runeset.yaml` keeps its data in `.sanctum/orders`), so two runesets in one folder never share state. Give two runesets the same `data_dir` on purpose to share durable streams; spells of the same name then share their state too.","type":"string","minLength":1,"default":".sanctum/{name}"},"log_format":{"type":"string","enum":["auto","json","pretty"],"description":"How Sanctum writes its log lines on stderr: `json` (one JSON object a line, for machines), `pretty` (for people), or `auto`: pretty on a terminal, JSON otherwise. `sanctum run --log-format` overrides it.","default":"auto"},"metrics":{"$ref":"#/definitions/MetricsRunes"},"synchronous":{"type":"string","enum":["FULL","NORMAL"],"description":"How durable a commit is before it is acknowledged: `FULL` (fsync: survives power loss) or `NORMAL` (survives a crash of Sanctum, may lose the last commits on power loss; faster for small commits). Set on every connection to the data file.","default":"FULL"},"batch_size":{"type":"integer","minimum":1,"maximum":100000,"description":"The most events a durable pipeline casts and commits in one transaction. Larger batches: more throughput, more latency.","default":1000}}};
const schema13 = {"description":"Serve the run's metrics (`/metrics`, in the Prometheus text format), live taps (`/tap`) and health checks (`/healthz`, `/readyz`) over HTTP while it runs; `sanctum top` and `sanctum tap` read them. `sanctum run --metrics` does the same. See docunomicon/observability.md and docunomicon/service.md.","type":"object","additionalProperties":false,"required":["listen"],"properties":{"listen":{"type":"string","pattern":"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$","patternErrorMessage":"expected host:port, :port or port, such as 127.0.0.1:9598","description":"Where to serve: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only). Port 0 picks a free port; the log says which. Binding `0.0.0.0` serves every network: read docunomicon/observability.md first, since a tap shows your events."},"cast_sample":{"type":"integer","minimum":1,"description":"Time one cast in this many for `sanctum_spell_cast_duration_seconds` (1 times every cast, at a small cost per event).","default":16},"tap":{"type":"boolean","description":"Serve `/tap`, which streams live events to `sanctum tap`. Set it to false where whoever reaches the address must not read the events.","default":true},"ready_lag":{"type":"integer","minimum":0,"description":"`/readyz` answers 503 while a pipeline or sink over durable streams is more than this many events behind (and while a source is not open yet, or the run is stopping).","default":10000}}};
const func2 = require("ajv/dist/runtime/ucs2length").default;
const pattern0 = new RegExp("^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$", "u");

function validate11(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((((((key0 === "log_level") || (key0 === "data_dir")) || (key0 === "log_format")) || (key0 === "metrics")) || (key0 === "synchronous")) || (key0 === "batch_size"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema12,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.log_level !== undefined){
let data0 = data.log_level;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/log_level",schemaPath:"#/properties/log_level/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema12.properties.log_level.type,parentSchema:schema12.properties.log_level,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(!((((data0 === "debug") || (data0 === "info")) || (data0 === "warn")) || (data0 === "error"))){
const err2 = {instancePath:instancePath+"/log_level",schemaPath:"#/properties/log_level/enum",keyword:"enum",params:{allowedValues: schema12.properties.log_level.enum},message:"must be equal to one of the allowed values",schema:schema12.properties.log_level.enum,parentSchema:schema12.properties.log_level,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.data_dir !== undefined){
let data1 = data.data_dir;
if(typeof data1 === "string"){
if(func2(data1) < 1){
const err3 = {instancePath:instancePath+"/data_dir",schemaPath:"#/properties/data_dir/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema12.properties.data_dir,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/data_dir",schemaPath:"#/properties/data_dir/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema12.properties.data_dir.type,parentSchema:schema12.properties.data_dir,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.log_format !== undefined){
let data2 = data.log_format;
if(typeof data2 !== "string"){
const err5 = {instancePath:instancePath+"/log_format",schemaPath:"#/properties/log_format/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema12.properties.log_format.type,parentSchema:schema12.properties.log_format,data:data2};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(!(((data2 === "auto") || (data2 === "json")) || (data2 === "pretty"))){
const err6 = {instancePath:instancePath+"/log_format",schemaPath:"#/properties/log_format/enum",keyword:"enum",params:{allowedValues: schema12.properties.log_format.enum},message:"must be equal to one of the allowed values",schema:schema12.properties.log_format.enum,parentSchema:schema12.properties.log_format,data:data2};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.metrics !== undefined){
let data3 = data.metrics;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.listen === undefined){
const err7 = {instancePath:instancePath+"/metrics",schemaPath:"#/definitions/MetricsRunes/required",keyword:"required",params:{missingProperty: "listen"},message:"must have required property '"+"listen"+"'",schema:schema13.required,parentSchema:schema13,data:data3};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
for(const key1 in data3){
if(!((((key1 === "listen") || (key1 === "cast_sample")) || (key1 === "tap")) || (key1 === "ready_lag"))){
const err8 = {instancePath:instancePath+"/metrics",schemaPath:"#/definitions/MetricsRunes/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema13,data:data3};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data3.listen !== undefined){
let data4 = data3.listen;
if(typeof data4 === "string"){
if(!pattern0.test(data4)){
const err9 = {instancePath:instancePath+"/metrics/listen",schemaPath:"#/definitions/MetricsRunes/properties/listen/pattern",keyword:"pattern",params:{pattern: "^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$"},message:"must match pattern \""+"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$"+"\"",schema:"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$",parentSchema:schema13.properties.listen,data:data4};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
else {
const err10 = {instancePath:instancePath+"/metrics/listen",schemaPath:"#/definitions/MetricsRunes/properties/listen/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema13.properties.listen.type,parentSchema:schema13.properties.listen,data:data4};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.cast_sample !== undefined){
let data5 = data3.cast_sample;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
const err11 = {instancePath:instancePath+"/metrics/cast_sample",schemaPath:"#/definitions/MetricsRunes/properties/cast_sample/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema13.properties.cast_sample.type,parentSchema:schema13.properties.cast_sample,data:data5};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 1 || isNaN(data5)){
const err12 = {instancePath:instancePath+"/metrics/cast_sample",schemaPath:"#/definitions/MetricsRunes/properties/cast_sample/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema13.properties.cast_sample,data:data5};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
if(data3.tap !== undefined){
let data6 = data3.tap;
if(typeof data6 !== "boolean"){
const err13 = {instancePath:instancePath+"/metrics/tap",schemaPath:"#/definitions/MetricsRunes/properties/tap/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema13.properties.tap.type,parentSchema:schema13.properties.tap,data:data6};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data3.ready_lag !== undefined){
let data7 = data3.ready_lag;
if(!(((typeof data7 == "number") && (!(data7 % 1) && !isNaN(data7))) && (isFinite(data7)))){
const err14 = {instancePath:instancePath+"/metrics/ready_lag",schemaPath:"#/definitions/MetricsRunes/properties/ready_lag/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema13.properties.ready_lag.type,parentSchema:schema13.properties.ready_lag,data:data7};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 < 0 || isNaN(data7)){
const err15 = {instancePath:instancePath+"/metrics/ready_lag",schemaPath:"#/definitions/MetricsRunes/properties/ready_lag/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema13.properties.ready_lag,data:data7};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
}
}
else {
const err16 = {instancePath:instancePath+"/metrics",schemaPath:"#/definitions/MetricsRunes/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema13.type,parentSchema:schema13,data:data3};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data.synchronous !== undefined){
let data8 = data.synchronous;
if(typeof data8 !== "string"){
const err17 = {instancePath:instancePath+"/synchronous",schemaPath:"#/properties/synchronous/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema12.properties.synchronous.type,parentSchema:schema12.properties.synchronous,data:data8};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
if(!((data8 === "FULL") || (data8 === "NORMAL"))){
const err18 = {instancePath:instancePath+"/synchronous",schemaPath:"#/properties/synchronous/enum",keyword:"enum",params:{allowedValues: schema12.properties.synchronous.enum},message:"must be equal to one of the allowed values",schema:schema12.properties.synchronous.enum,parentSchema:schema12.properties.synchronous,data:data8};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.batch_size !== undefined){
let data9 = data.batch_size;
if(!(((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9))) && (isFinite(data9)))){
const err19 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema12.properties.batch_size.type,parentSchema:schema12.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 > 100000 || isNaN(data9)){
const err20 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100000},message:"must be <= 100000",schema:100000,parentSchema:schema12.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
if(data9 < 1 || isNaN(data9)){
const err21 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema12.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
}
else {
const err22 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema12.type,parentSchema:schema12,data};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
validate11.errors = vErrors;
return errors === 0;
}

const schema17 = {"description":"A spell: a Lua file and the runes it is summoned with.","type":"object","additionalProperties":false,"required":["file"],"properties":{"file":{"description":"The spell's Lua file, relative to the runeset file's directory.","type":"string","minLength":1},"runes":{"description":"The spell's own runes: any mapping, handed to the spell's `init(runes)` hook.","type":"object","additionalProperties":true,"default":{}},"on_error":{"type":"string","enum":["dead-letter","skip","stop"],"description":"What happens to an event whose cast fails: `dead-letter` sends it, with the error, to the pipeline's dead-letter stream; `skip` logs a warning and drops it; `stop` stops the pipeline.","default":"dead-letter"},"budget":{"$ref":"#/definitions/BudgetSpec"},"tick":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"Call the spell's `tick(now, emit)` hook this often, in processing time, between batches (and once more when the pipeline stops gracefully): a duration such as `250ms`, `1s` or `5m` (a bare number is seconds). A spell with no `tick` function ignores it (`sanctum check` warns). See docunomicon/time.md."},"window":{"$ref":"#/definitions/WindowSpec"},"state":{"description":"The spell's durable state (the Lua `state` library): which top-level fields of stored values to index, so that `state.query{ index = \"field\", gt = …, lt = … }` uses the index.","type":"object","additionalProperties":false,"properties":{"indexes":{"description":"Value fields to index (numbers and strings).","type":"array","items":{"type":"string","minLength":1},"uniqueItems":true}}}}};
const schema18 = {"description":"Limits on what one spell may use.","type":"object","additionalProperties":false,"default":{},"properties":{"instructions":{"type":"integer","minimum":1000,"description":"The Lua instructions one call of `init`, `cast` or `finish` may run before it fails (a runaway loop).","default":10000000},"emits":{"type":"integer","minimum":1,"description":"The events one call of `init`, `cast` or `finish` may emit (SPELL_EMIT_LIMIT beyond). A call's outputs are held until it succeeds, all or nothing, so their number is bounded; raise it for a `finish` that emits a row per key of a large state.","default":100000},"memory":{"description":"The Lua heap the spell may use: a number of bytes, or a size such as `512KiB`, `64MiB` or `1GiB` (KiB, MiB, GiB are powers of 1024; KB, MB, GB powers of 1000; any case, so `64mb` is 64,000,000 bytes), the same sizes `sanctum cast --memory` takes. At least 64KiB.","anyOf":[{"type":"integer","minimum":65536},{"type":"string","pattern":"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$","patternErrorMessage":"write a size as a whole number of bytes, or one with a unit: B, KB, MB, GB, KiB, MiB or GiB, in any case (e.g. 64MiB)"}],"default":"64MiB"}}};
const schema19 = {"description":"Event-time windows for a spell that uses the bundled `sanctum.window` module: handed to its `init(runes)` as `runes.window`, durations in ms. See docunomicon/time.md.","type":"object","additionalProperties":false,"required":["kind"],"properties":{"kind":{"type":"string","enum":["tumbling","hopping","session"],"description":"`tumbling`: fixed windows of `size` one after another; `hopping`: windows of `size` starting every `slide` (they overlap); `session`: a key's events no more than `gap` apart, one window."},"size":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How long a window is (`tumbling` and `hopping`)."},"slide":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How far apart hopping windows start (`hopping`); at most `size`."},"gap":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"How long a key may be silent before its session closes (`session`)."},"time":{"description":"The event field that holds the event's time, in ms since the epoch. Without it, windows run on processing time: an event's time is `sanctum.now()` when it is cast.","type":"string","minLength":1},"key":{"description":"The event field windows are kept per (one window per value). Without it, one window covers every event.","type":"string","minLength":1},"lateness":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":0,"description":"How late an event may be: the watermark is the latest event time seen minus this, and an event older than the watermark goes to the `late` port. Default 0."},"idle":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds","minimum":1,"description":"When no event has come for this long (processing time), ticks move the watermark on as if event time passed like processing time, so the windows of a quiet input close. Default: never (the spell needs a `tick` rune for it)."}},"allOf":[{"if":{"properties":{"kind":{"const":"session"}},"required":["kind"]},"then":{"required":["gap"]}},{"if":{"properties":{"kind":{"const":"tumbling"}},"required":["kind"]},"then":{"required":["size"]}},{"if":{"properties":{"kind":{"const":"hopping"}},"required":["kind"]},"then":{"required":["size","slide"]}}]};
const pattern4 = new RegExp("^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$", "u");
const pattern5 = new RegExp("^[0-9]+(ms|s|m|h|d)?$", "u");

function validate13(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.file === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "file"},message:"must have required property '"+"file"+"'",schema:schema17.required,parentSchema:schema17,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "file") || (key0 === "runes")) || (key0 === "on_error")) || (key0 === "budget")) || (key0 === "tick")) || (key0 === "window")) || (key0 === "state"))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema17,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.file !== undefined){
let data0 = data.file;
if(typeof data0 === "string"){
if(func2(data0) < 1){
const err2 = {instancePath:instancePath+"/file",schemaPath:"#/properties/file/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema17.properties.file,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
else {
const err3 = {instancePath:instancePath+"/file",schemaPath:"#/properties/file/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema17.properties.file.type,parentSchema:schema17.properties.file,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.runes !== undefined){
let data1 = data.runes;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
}
else {
const err4 = {instancePath:instancePath+"/runes",schemaPath:"#/properties/runes/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema17.properties.runes.type,parentSchema:schema17.properties.runes,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.on_error !== undefined){
let data2 = data.on_error;
if(typeof data2 !== "string"){
const err5 = {instancePath:instancePath+"/on_error",schemaPath:"#/properties/on_error/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema17.properties.on_error.type,parentSchema:schema17.properties.on_error,data:data2};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(!(((data2 === "dead-letter") || (data2 === "skip")) || (data2 === "stop"))){
const err6 = {instancePath:instancePath+"/on_error",schemaPath:"#/properties/on_error/enum",keyword:"enum",params:{allowedValues: schema17.properties.on_error.enum},message:"must be equal to one of the allowed values",schema:schema17.properties.on_error.enum,parentSchema:schema17.properties.on_error,data:data2};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.budget !== undefined){
let data3 = data.budget;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
for(const key1 in data3){
if(!(((key1 === "instructions") || (key1 === "emits")) || (key1 === "memory"))){
const err7 = {instancePath:instancePath+"/budget",schemaPath:"#/definitions/BudgetSpec/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema18,data:data3};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data3.instructions !== undefined){
let data4 = data3.instructions;
if(!(((typeof data4 == "number") && (!(data4 % 1) && !isNaN(data4))) && (isFinite(data4)))){
const err8 = {instancePath:instancePath+"/budget/instructions",schemaPath:"#/definitions/BudgetSpec/properties/instructions/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema18.properties.instructions.type,parentSchema:schema18.properties.instructions,data:data4};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 < 1000 || isNaN(data4)){
const err9 = {instancePath:instancePath+"/budget/instructions",schemaPath:"#/definitions/BudgetSpec/properties/instructions/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1000},message:"must be >= 1000",schema:1000,parentSchema:schema18.properties.instructions,data:data4};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
if(data3.emits !== undefined){
let data5 = data3.emits;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
const err10 = {instancePath:instancePath+"/budget/emits",schemaPath:"#/definitions/BudgetSpec/properties/emits/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema18.properties.emits.type,parentSchema:schema18.properties.emits,data:data5};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 1 || isNaN(data5)){
const err11 = {instancePath:instancePath+"/budget/emits",schemaPath:"#/definitions/BudgetSpec/properties/emits/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema18.properties.emits,data:data5};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
if(data3.memory !== undefined){
let data6 = data3.memory;
const _errs18 = errors;
let valid3 = false;
const _errs19 = errors;
if(!(((typeof data6 == "number") && (!(data6 % 1) && !isNaN(data6))) && (isFinite(data6)))){
const err12 = {instancePath:instancePath+"/budget/memory",schemaPath:"#/definitions/BudgetSpec/properties/memory/anyOf/0/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema18.properties.memory.anyOf[0].type,parentSchema:schema18.properties.memory.anyOf[0],data:data6};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if((typeof data6 == "number") && (isFinite(data6))){
if(data6 < 65536 || isNaN(data6)){
const err13 = {instancePath:instancePath+"/budget/memory",schemaPath:"#/definitions/BudgetSpec/properties/memory/anyOf/0/minimum",keyword:"minimum",params:{comparison: ">=", limit: 65536},message:"must be >= 65536",schema:65536,parentSchema:schema18.properties.memory.anyOf[0],data:data6};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
var _valid0 = _errs19 === errors;
valid3 = valid3 || _valid0;
if(!valid3){
const _errs21 = errors;
if(typeof data6 === "string"){
if(!pattern4.test(data6)){
const err14 = {instancePath:instancePath+"/budget/memory",schemaPath:"#/definitions/BudgetSpec/properties/memory/anyOf/1/pattern",keyword:"pattern",params:{pattern: "^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$"},message:"must match pattern \""+"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$"+"\"",schema:"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$",parentSchema:schema18.properties.memory.anyOf[1],data:data6};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/budget/memory",schemaPath:"#/definitions/BudgetSpec/properties/memory/anyOf/1/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema18.properties.memory.anyOf[1].type,parentSchema:schema18.properties.memory.anyOf[1],data:data6};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
var _valid0 = _errs21 === errors;
valid3 = valid3 || _valid0;
}
if(!valid3){
const err16 = {instancePath:instancePath+"/budget/memory",schemaPath:"#/definitions/BudgetSpec/properties/memory/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema18.properties.memory.anyOf,parentSchema:schema18.properties.memory,data:data6};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
else {
errors = _errs18;
if(vErrors !== null){
if(_errs18){
vErrors.length = _errs18;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err17 = {instancePath:instancePath+"/budget",schemaPath:"#/definitions/BudgetSpec/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema18.type,parentSchema:schema18,data:data3};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.tick !== undefined){
let data7 = data.tick;
if((!(((typeof data7 == "number") && (!(data7 % 1) && !isNaN(data7))) && (isFinite(data7)))) && (typeof data7 !== "string")){
const err18 = {instancePath:instancePath+"/tick",schemaPath:"#/properties/tick/type",keyword:"type",params:{type: schema17.properties.tick.type},message:"must be integer,string",schema:schema17.properties.tick.type,parentSchema:schema17.properties.tick,data:data7};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 < 1 || isNaN(data7)){
const err19 = {instancePath:instancePath+"/tick",schemaPath:"#/properties/tick/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema17.properties.tick,data:data7};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(typeof data7 === "string"){
if(!pattern5.test(data7)){
const err20 = {instancePath:instancePath+"/tick",schemaPath:"#/properties/tick/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema17.properties.tick,data:data7};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
}
if(data.window !== undefined){
let data8 = data.window;
const _errs31 = errors;
let valid6 = true;
const _errs32 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
let missing0;
if((data8.kind === undefined) && (missing0 = "kind")){
const err21 = {};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
else {
if(data8.kind !== undefined){
if("session" !== data8.kind){
const err22 = {};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
}
var _valid1 = _errs32 === errors;
errors = _errs31;
if(vErrors !== null){
if(_errs31){
vErrors.length = _errs31;
}
else {
vErrors = null;
}
}
if(_valid1){
const _errs34 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(data8.gap === undefined){
const err23 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/0/then/required",keyword:"required",params:{missingProperty: "gap"},message:"must have required property '"+"gap"+"'",schema:schema19.allOf[0].then.required,parentSchema:schema19.allOf[0].then,data:data8};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
var _valid1 = _errs34 === errors;
valid6 = _valid1;
}
if(!valid6){
const err24 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/0/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema19.allOf[0].if,parentSchema:schema19.allOf[0],data:data8};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
const _errs36 = errors;
let valid8 = true;
const _errs37 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
let missing1;
if((data8.kind === undefined) && (missing1 = "kind")){
const err25 = {};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
else {
if(data8.kind !== undefined){
if("tumbling" !== data8.kind){
const err26 = {};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
}
}
var _valid2 = _errs37 === errors;
errors = _errs36;
if(vErrors !== null){
if(_errs36){
vErrors.length = _errs36;
}
else {
vErrors = null;
}
}
if(_valid2){
const _errs39 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(data8.size === undefined){
const err27 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/1/then/required",keyword:"required",params:{missingProperty: "size"},message:"must have required property '"+"size"+"'",schema:schema19.allOf[1].then.required,parentSchema:schema19.allOf[1].then,data:data8};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
var _valid2 = _errs39 === errors;
valid8 = _valid2;
}
if(!valid8){
const err28 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/1/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema19.allOf[1].if,parentSchema:schema19.allOf[1],data:data8};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
const _errs41 = errors;
let valid10 = true;
const _errs42 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
let missing2;
if((data8.kind === undefined) && (missing2 = "kind")){
const err29 = {};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
else {
if(data8.kind !== undefined){
if("hopping" !== data8.kind){
const err30 = {};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
}
var _valid3 = _errs42 === errors;
errors = _errs41;
if(vErrors !== null){
if(_errs41){
vErrors.length = _errs41;
}
else {
vErrors = null;
}
}
if(_valid3){
const _errs44 = errors;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(data8.size === undefined){
const err31 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/2/then/required",keyword:"required",params:{missingProperty: "size"},message:"must have required property '"+"size"+"'",schema:schema19.allOf[2].then.required,parentSchema:schema19.allOf[2].then,data:data8};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
if(data8.slide === undefined){
const err32 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/2/then/required",keyword:"required",params:{missingProperty: "slide"},message:"must have required property '"+"slide"+"'",schema:schema19.allOf[2].then.required,parentSchema:schema19.allOf[2].then,data:data8};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
var _valid3 = _errs44 === errors;
valid10 = _valid3;
}
if(!valid10){
const err33 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/allOf/2/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema19.allOf[2].if,parentSchema:schema19.allOf[2],data:data8};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(data8.kind === undefined){
const err34 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'",schema:schema19.required,parentSchema:schema19,data:data8};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
for(const key2 in data8){
if(!((((((((key2 === "kind") || (key2 === "size")) || (key2 === "slide")) || (key2 === "gap")) || (key2 === "time")) || (key2 === "key")) || (key2 === "lateness")) || (key2 === "idle"))){
const err35 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties",schema:false,parentSchema:schema19,data:data8};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data8.kind !== undefined){
let data12 = data8.kind;
if(typeof data12 !== "string"){
const err36 = {instancePath:instancePath+"/window/kind",schemaPath:"#/definitions/WindowSpec/properties/kind/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema19.properties.kind.type,parentSchema:schema19.properties.kind,data:data12};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
if(!(((data12 === "tumbling") || (data12 === "hopping")) || (data12 === "session"))){
const err37 = {instancePath:instancePath+"/window/kind",schemaPath:"#/definitions/WindowSpec/properties/kind/enum",keyword:"enum",params:{allowedValues: schema19.properties.kind.enum},message:"must be equal to one of the allowed values",schema:schema19.properties.kind.enum,parentSchema:schema19.properties.kind,data:data12};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data8.size !== undefined){
let data13 = data8.size;
if((!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))) && (typeof data13 !== "string")){
const err38 = {instancePath:instancePath+"/window/size",schemaPath:"#/definitions/WindowSpec/properties/size/type",keyword:"type",params:{type: schema19.properties.size.type},message:"must be integer,string",schema:schema19.properties.size.type,parentSchema:schema19.properties.size,data:data13};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 < 1 || isNaN(data13)){
const err39 = {instancePath:instancePath+"/window/size",schemaPath:"#/definitions/WindowSpec/properties/size/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema19.properties.size,data:data13};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
if(typeof data13 === "string"){
if(!pattern5.test(data13)){
const err40 = {instancePath:instancePath+"/window/size",schemaPath:"#/definitions/WindowSpec/properties/size/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema19.properties.size,data:data13};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
}
if(data8.slide !== undefined){
let data14 = data8.slide;
if((!(((typeof data14 == "number") && (!(data14 % 1) && !isNaN(data14))) && (isFinite(data14)))) && (typeof data14 !== "string")){
const err41 = {instancePath:instancePath+"/window/slide",schemaPath:"#/definitions/WindowSpec/properties/slide/type",keyword:"type",params:{type: schema19.properties.slide.type},message:"must be integer,string",schema:schema19.properties.slide.type,parentSchema:schema19.properties.slide,data:data14};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
if((typeof data14 == "number") && (isFinite(data14))){
if(data14 < 1 || isNaN(data14)){
const err42 = {instancePath:instancePath+"/window/slide",schemaPath:"#/definitions/WindowSpec/properties/slide/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema19.properties.slide,data:data14};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
if(typeof data14 === "string"){
if(!pattern5.test(data14)){
const err43 = {instancePath:instancePath+"/window/slide",schemaPath:"#/definitions/WindowSpec/properties/slide/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema19.properties.slide,data:data14};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
}
if(data8.gap !== undefined){
let data15 = data8.gap;
if((!(((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15))) && (isFinite(data15)))) && (typeof data15 !== "string")){
const err44 = {instancePath:instancePath+"/window/gap",schemaPath:"#/definitions/WindowSpec/properties/gap/type",keyword:"type",params:{type: schema19.properties.gap.type},message:"must be integer,string",schema:schema19.properties.gap.type,parentSchema:schema19.properties.gap,data:data15};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 < 1 || isNaN(data15)){
const err45 = {instancePath:instancePath+"/window/gap",schemaPath:"#/definitions/WindowSpec/properties/gap/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema19.properties.gap,data:data15};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(typeof data15 === "string"){
if(!pattern5.test(data15)){
const err46 = {instancePath:instancePath+"/window/gap",schemaPath:"#/definitions/WindowSpec/properties/gap/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema19.properties.gap,data:data15};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
if(data8.time !== undefined){
let data16 = data8.time;
if(typeof data16 === "string"){
if(func2(data16) < 1){
const err47 = {instancePath:instancePath+"/window/time",schemaPath:"#/definitions/WindowSpec/properties/time/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema19.properties.time,data:data16};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
else {
const err48 = {instancePath:instancePath+"/window/time",schemaPath:"#/definitions/WindowSpec/properties/time/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema19.properties.time.type,parentSchema:schema19.properties.time,data:data16};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
if(data8.key !== undefined){
let data17 = data8.key;
if(typeof data17 === "string"){
if(func2(data17) < 1){
const err49 = {instancePath:instancePath+"/window/key",schemaPath:"#/definitions/WindowSpec/properties/key/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema19.properties.key,data:data17};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
else {
const err50 = {instancePath:instancePath+"/window/key",schemaPath:"#/definitions/WindowSpec/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema19.properties.key.type,parentSchema:schema19.properties.key,data:data17};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data8.lateness !== undefined){
let data18 = data8.lateness;
if((!(((typeof data18 == "number") && (!(data18 % 1) && !isNaN(data18))) && (isFinite(data18)))) && (typeof data18 !== "string")){
const err51 = {instancePath:instancePath+"/window/lateness",schemaPath:"#/definitions/WindowSpec/properties/lateness/type",keyword:"type",params:{type: schema19.properties.lateness.type},message:"must be integer,string",schema:schema19.properties.lateness.type,parentSchema:schema19.properties.lateness,data:data18};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
if((typeof data18 == "number") && (isFinite(data18))){
if(data18 < 0 || isNaN(data18)){
const err52 = {instancePath:instancePath+"/window/lateness",schemaPath:"#/definitions/WindowSpec/properties/lateness/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema19.properties.lateness,data:data18};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
if(typeof data18 === "string"){
if(!pattern5.test(data18)){
const err53 = {instancePath:instancePath+"/window/lateness",schemaPath:"#/definitions/WindowSpec/properties/lateness/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema19.properties.lateness,data:data18};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
}
if(data8.idle !== undefined){
let data19 = data8.idle;
if((!(((typeof data19 == "number") && (!(data19 % 1) && !isNaN(data19))) && (isFinite(data19)))) && (typeof data19 !== "string")){
const err54 = {instancePath:instancePath+"/window/idle",schemaPath:"#/definitions/WindowSpec/properties/idle/type",keyword:"type",params:{type: schema19.properties.idle.type},message:"must be integer,string",schema:schema19.properties.idle.type,parentSchema:schema19.properties.idle,data:data19};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
if((typeof data19 == "number") && (isFinite(data19))){
if(data19 < 1 || isNaN(data19)){
const err55 = {instancePath:instancePath+"/window/idle",schemaPath:"#/definitions/WindowSpec/properties/idle/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema19.properties.idle,data:data19};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
if(typeof data19 === "string"){
if(!pattern5.test(data19)){
const err56 = {instancePath:instancePath+"/window/idle",schemaPath:"#/definitions/WindowSpec/properties/idle/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema19.properties.idle,data:data19};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
}
}
else {
const err57 = {instancePath:instancePath+"/window",schemaPath:"#/definitions/WindowSpec/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema19.type,parentSchema:schema19,data:data8};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
if(data.state !== undefined){
let data20 = data.state;
if(data20 && typeof data20 == "object" && !Array.isArray(data20)){
for(const key3 in data20){
if(!(key3 === "indexes")){
const err58 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties",schema:false,parentSchema:schema17.properties.state,data:data20};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
if(data20.indexes !== undefined){
let data21 = data20.indexes;
if(Array.isArray(data21)){
const len0 = data21.length;
for(let i0=0; i0<len0; i0++){
let data22 = data21[i0];
if(typeof data22 === "string"){
if(func2(data22) < 1){
const err59 = {instancePath:instancePath+"/state/indexes/" + i0,schemaPath:"#/properties/state/properties/indexes/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema17.properties.state.properties.indexes.items,data:data22};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
}
else {
const err60 = {instancePath:instancePath+"/state/indexes/" + i0,schemaPath:"#/properties/state/properties/indexes/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema17.properties.state.properties.indexes.items.type,parentSchema:schema17.properties.state.properties.indexes.items,data:data22};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
}
let i1 = data21.length;
let j0;
if(i1 > 1){
const indices0 = {};
for(;i1--;){
let item0 = data21[i1];
if(typeof item0 !== "string"){
continue;
}
if(typeof indices0[item0] == "number"){
j0 = indices0[item0];
const err61 = {instancePath:instancePath+"/state/indexes",schemaPath:"#/properties/state/properties/indexes/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)",schema:true,parentSchema:schema17.properties.state.properties.indexes,data:data21};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
break;
}
indices0[item0] = i1;
}
}
}
else {
const err62 = {instancePath:instancePath+"/state/indexes",schemaPath:"#/properties/state/properties/indexes/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema17.properties.state.properties.indexes.type,parentSchema:schema17.properties.state.properties.indexes,data:data21};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
}
else {
const err63 = {instancePath:instancePath+"/state",schemaPath:"#/properties/state/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema17.properties.state.type,parentSchema:schema17.properties.state,data:data20};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
}
}
else {
const err64 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema17.type,parentSchema:schema17,data};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
validate13.errors = vErrors;
return errors === 0;
}

const schema21 = {"description":"A source of events: a file, standard input, an HTTP endpoint that clients POST events to, or NATS (one JSON event per message). docunomicon/connectors.md describes each, with its delivery guarantee.","type":"object","additionalProperties":false,"required":["type","to"],"properties":{"type":{"type":"string","enum":["file","stdin","http","nats"],"description":"Where the events are read from: `file` (the file at `path`), `stdin`, `http` (a server on `listen` that takes POSTed events), or `nats` (a NATS subject, or a JetStream stream)."},"path":{"description":"For `file`: the file to read, relative to the runeset file's directory (required); with `follow`, it may be a glob (`*`, `?` and `[...]` within a path segment). For `http`: the URL path that takes POSTs, such as `/events` (default `/`).","type":"string","minLength":1},"to":{"description":"The stream the events are written to.","allOf":[{"$ref":"#/definitions/Name"}]},"format":{"type":"string","enum":["ndjson","lines","json"],"description":"How the input is read: `ndjson` (one JSON event per line), `lines` (each line of text becomes the event `{ message, source, line }`: the text, the source's name and the line number; a spell parses the rest), or `json` (the whole input is one JSON document: an array is its events, anything else one event). An `http` source reads a request whose `Content-Type` is `application/json` as `json` unless `format` is `lines`.","default":"ndjson"},"rate":{"type":"number","exclusiveMinimum":0,"description":"At most this many events a second (file sources): replay a recorded file at a pace, for demos and load tests. Default: as fast as the pipeline takes them."},"loop":{"type":"boolean","description":"When the file ends, read it again from the start, until the run is stopped (file sources into streams that are not durable). With `rate`, a live stream from a recorded file.","default":false},"follow":{"type":"boolean","description":"For `file`: keep reading as the file grows, like `tail -F`, until the run is stopped (SIGINT or SIGTERM). A file renamed away (log rotation) is read to its end and the new file at `path` from its start; a file that gets shorter (copytruncate) is read again from its start. `path` may then be a glob (`logs/*.log`): files that come to match it are read too. Into a durable stream each file's position (its device, inode and byte offset) commits with its events: exactly once across restarts and rotations. docunomicon/connectors.md#followed-files says what rotation can and cannot keep.","default":false},"poll_interval":{"type":["integer","string"],"pattern":"^0*[1-9][0-9]*(ms|s|m|h|d)?$","patternErrorMessage":"write a duration above zero as a whole number and a unit: ms, s, m, h or d (e.g. 1s)","minimum":1,"description":"For `file` with `follow`: how often the files are looked at even when the file system sent no change notice (inotify does not see writes made on another machine to a network file system). A number of seconds, or a duration such as `250ms`, `1s`.","default":"1s"},"start_at":{"type":"string","enum":["beginning","end"],"description":"For `file` with `follow`: where a file that is there when the run starts, and that no earlier run has read into a durable stream, is read from: `beginning` (all of it) or `end` (only what is written from now on). A file that appears later is always read from its beginning, and a file with a committed position from there.","default":"beginning"},"listen":{"type":"string","pattern":"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$","patternErrorMessage":"expected host:port, :port or port, such as 127.0.0.1:9598","description":"For `http` (required): where the server listens: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only; `0.0.0.0:8080` serves every network). Port 0 picks a free port; the log says which."},"token":{"description":"For `http`: a bearer token every request must send (`Authorization: Bearer <token>`); others get 401. The server speaks plain HTTP: off this machine, put a TLS proxy in front. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment, not the file.","type":"string","minLength":1},"max_body":{"description":"For `http`: the largest request body taken; a bigger one is answered 413 and nothing of it is appended. A number of bytes, or a size such as `512KiB` or `4MiB`.","anyOf":[{"type":"integer","minimum":1},{"type":"string","pattern":"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$","patternErrorMessage":"write a size as a whole number of bytes, or one with a unit: B, KB, MB, GB, KiB, MiB or GiB, in any case (e.g. 1MiB)"}],"default":"1MiB"},"queue":{"type":"integer","minimum":1,"maximum":100000,"description":"For `http`: how many requests may be in the source at once (their bodies being read, parsed, or waiting for room in the stream). One more is answered 503 with `Retry-After`. With `max_body` it bounds the memory the source holds.","default":64},"max_wait":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: how long a request waits for room in a stream whose pipeline is behind before it is answered 429 with `Retry-After` (nothing of it appended). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"5s"},"timeout":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the time a client has to send a whole request (headers and body); a slower one is answered 408 and disconnected (slow clients cannot hold connections open). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"30s"},"url":{"description":"The NATS server to connect to (`nats` sources): `nats://host:port`, or several, separated by commas, to try in turn (a cluster). Default: `nats://127.0.0.1:4222`.","type":"string","minLength":1},"subject":{"description":"The NATS subject (`nats` sources): without `stream`, a core NATS subscription to it (wildcards `*` and `>` allowed); with `stream`, only the stream's messages on that subject are read.","type":"string","minLength":1},"stream":{"description":"A JetStream stream to read (`nats` sources) with a durable consumer, from where the last run stopped: into a durable Sanctum stream, exactly once (each batch commits with the JetStream sequence it reached, and is acknowledged to NATS after that commit).","type":"string","minLength":1},"consumer":{"description":"The name of the durable JetStream consumer (`nats` sources with `stream`). Default: `sanctum-` and the source's name.","type":"string","minLength":1},"user":{"description":"The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.","type":"string","minLength":1},"password":{"description":"The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.","type":"string","minLength":1},"queue_group":{"description":"A queue group (`nats` sources on a core subject): the subscribers of one queue group share the messages, each message going to one of them.","type":"string","minLength":1}},"if":{"type":"object","properties":{"type":{"const":"file"}},"required":["type"]},"then":{"required":["path"]}};
const func8 = Object.prototype.hasOwnProperty;
const pattern1 = new RegExp("^[A-Za-z][A-Za-z0-9_-]*$", "u");
const pattern2 = new RegExp("^0*[1-9][0-9]*(ms|s|m|h|d)?$", "u");

function validate15(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
const _errs1 = errors;
let valid0 = true;
const _errs2 = errors;
if(errors === _errs2){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.type === undefined) && (missing0 = "type")){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data.type !== undefined){
if("file" !== data.type){
const err1 = {};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
}
else {
const err2 = {};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
var _valid0 = _errs2 === errors;
errors = _errs1;
if(vErrors !== null){
if(_errs1){
vErrors.length = _errs1;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs5 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.path === undefined){
const err3 = {instancePath,schemaPath:"#/then/required",keyword:"required",params:{missingProperty: "path"},message:"must have required property '"+"path"+"'",schema:schema21.then.required,parentSchema:schema21.then,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
var _valid0 = _errs5 === errors;
valid0 = _valid0;
}
if(!valid0){
const err4 = {instancePath,schemaPath:"#/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema21.if,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.type === undefined){
const err5 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema21.required,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(data.to === undefined){
const err6 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "to"},message:"must have required property '"+"to"+"'",schema:schema21.required,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
for(const key0 in data){
if(!(func8.call(schema21.properties, key0))){
const err7 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.type !== undefined){
let data1 = data.type;
if(typeof data1 !== "string"){
const err8 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.type.type,parentSchema:schema21.properties.type,data:data1};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if(!((((data1 === "file") || (data1 === "stdin")) || (data1 === "http")) || (data1 === "nats"))){
const err9 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/enum",keyword:"enum",params:{allowedValues: schema21.properties.type.enum},message:"must be equal to one of the allowed values",schema:schema21.properties.type.enum,parentSchema:schema21.properties.type,data:data1};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.path !== undefined){
let data2 = data.path;
if(typeof data2 === "string"){
if(func2(data2) < 1){
const err10 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.path,data:data2};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.path.type,parentSchema:schema21.properties.path,data:data2};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.to !== undefined){
let data3 = data.to;
if(typeof data3 === "string"){
if(!pattern1.test(data3)){
const err12 = {instancePath:instancePath+"/to",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data3};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/to",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data3};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.format !== undefined){
let data4 = data.format;
if(typeof data4 !== "string"){
const err14 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.format.type,parentSchema:schema21.properties.format,data:data4};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if(!(((data4 === "ndjson") || (data4 === "lines")) || (data4 === "json"))){
const err15 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/enum",keyword:"enum",params:{allowedValues: schema21.properties.format.enum},message:"must be equal to one of the allowed values",schema:schema21.properties.format.enum,parentSchema:schema21.properties.format,data:data4};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data.rate !== undefined){
let data5 = data.rate;
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 <= 0 || isNaN(data5)){
const err16 = {instancePath:instancePath+"/rate",schemaPath:"#/properties/rate/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0",schema:0,parentSchema:schema21.properties.rate,data:data5};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
else {
const err17 = {instancePath:instancePath+"/rate",schemaPath:"#/properties/rate/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema21.properties.rate.type,parentSchema:schema21.properties.rate,data:data5};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.loop !== undefined){
let data6 = data.loop;
if(typeof data6 !== "boolean"){
const err18 = {instancePath:instancePath+"/loop",schemaPath:"#/properties/loop/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema21.properties.loop.type,parentSchema:schema21.properties.loop,data:data6};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.follow !== undefined){
let data7 = data.follow;
if(typeof data7 !== "boolean"){
const err19 = {instancePath:instancePath+"/follow",schemaPath:"#/properties/follow/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema21.properties.follow.type,parentSchema:schema21.properties.follow,data:data7};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.poll_interval !== undefined){
let data8 = data.poll_interval;
if((!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))) && (typeof data8 !== "string")){
const err20 = {instancePath:instancePath+"/poll_interval",schemaPath:"#/properties/poll_interval/type",keyword:"type",params:{type: schema21.properties.poll_interval.type},message:"must be integer,string",schema:schema21.properties.poll_interval.type,parentSchema:schema21.properties.poll_interval,data:data8};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 < 1 || isNaN(data8)){
const err21 = {instancePath:instancePath+"/poll_interval",schemaPath:"#/properties/poll_interval/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema21.properties.poll_interval,data:data8};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(typeof data8 === "string"){
if(!pattern2.test(data8)){
const err22 = {instancePath:instancePath+"/poll_interval",schemaPath:"#/properties/poll_interval/pattern",keyword:"pattern",params:{pattern: "^0*[1-9][0-9]*(ms|s|m|h|d)?$"},message:"must match pattern \""+"^0*[1-9][0-9]*(ms|s|m|h|d)?$"+"\"",schema:"^0*[1-9][0-9]*(ms|s|m|h|d)?$",parentSchema:schema21.properties.poll_interval,data:data8};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
if(data.start_at !== undefined){
let data9 = data.start_at;
if(typeof data9 !== "string"){
const err23 = {instancePath:instancePath+"/start_at",schemaPath:"#/properties/start_at/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.start_at.type,parentSchema:schema21.properties.start_at,data:data9};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
if(!((data9 === "beginning") || (data9 === "end"))){
const err24 = {instancePath:instancePath+"/start_at",schemaPath:"#/properties/start_at/enum",keyword:"enum",params:{allowedValues: schema21.properties.start_at.enum},message:"must be equal to one of the allowed values",schema:schema21.properties.start_at.enum,parentSchema:schema21.properties.start_at,data:data9};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.listen !== undefined){
let data10 = data.listen;
if(typeof data10 === "string"){
if(!pattern0.test(data10)){
const err25 = {instancePath:instancePath+"/listen",schemaPath:"#/properties/listen/pattern",keyword:"pattern",params:{pattern: "^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$"},message:"must match pattern \""+"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$"+"\"",schema:"^((\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)?:)?[0-9]{1,5}$",parentSchema:schema21.properties.listen,data:data10};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
else {
const err26 = {instancePath:instancePath+"/listen",schemaPath:"#/properties/listen/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.listen.type,parentSchema:schema21.properties.listen,data:data10};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data.token !== undefined){
let data11 = data.token;
if(typeof data11 === "string"){
if(func2(data11) < 1){
const err27 = {instancePath:instancePath+"/token",schemaPath:"#/properties/token/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.token,data:data11};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
else {
const err28 = {instancePath:instancePath+"/token",schemaPath:"#/properties/token/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.token.type,parentSchema:schema21.properties.token,data:data11};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.max_body !== undefined){
let data12 = data.max_body;
const _errs35 = errors;
let valid5 = false;
const _errs36 = errors;
if(!(((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12))) && (isFinite(data12)))){
const err29 = {instancePath:instancePath+"/max_body",schemaPath:"#/properties/max_body/anyOf/0/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema21.properties.max_body.anyOf[0].type,parentSchema:schema21.properties.max_body.anyOf[0],data:data12};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 < 1 || isNaN(data12)){
const err30 = {instancePath:instancePath+"/max_body",schemaPath:"#/properties/max_body/anyOf/0/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema21.properties.max_body.anyOf[0],data:data12};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
var _valid1 = _errs36 === errors;
valid5 = valid5 || _valid1;
if(!valid5){
const _errs38 = errors;
if(typeof data12 === "string"){
if(!pattern4.test(data12)){
const err31 = {instancePath:instancePath+"/max_body",schemaPath:"#/properties/max_body/anyOf/1/pattern",keyword:"pattern",params:{pattern: "^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$"},message:"must match pattern \""+"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$"+"\"",schema:"^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$",parentSchema:schema21.properties.max_body.anyOf[1],data:data12};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
else {
const err32 = {instancePath:instancePath+"/max_body",schemaPath:"#/properties/max_body/anyOf/1/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.max_body.anyOf[1].type,parentSchema:schema21.properties.max_body.anyOf[1],data:data12};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
var _valid1 = _errs38 === errors;
valid5 = valid5 || _valid1;
}
if(!valid5){
const err33 = {instancePath:instancePath+"/max_body",schemaPath:"#/properties/max_body/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema21.properties.max_body.anyOf,parentSchema:schema21.properties.max_body,data:data12};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
else {
errors = _errs35;
if(vErrors !== null){
if(_errs35){
vErrors.length = _errs35;
}
else {
vErrors = null;
}
}
}
}
if(data.queue !== undefined){
let data13 = data.queue;
if(!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))){
const err34 = {instancePath:instancePath+"/queue",schemaPath:"#/properties/queue/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema21.properties.queue.type,parentSchema:schema21.properties.queue,data:data13};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 > 100000 || isNaN(data13)){
const err35 = {instancePath:instancePath+"/queue",schemaPath:"#/properties/queue/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100000},message:"must be <= 100000",schema:100000,parentSchema:schema21.properties.queue,data:data13};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
if(data13 < 1 || isNaN(data13)){
const err36 = {instancePath:instancePath+"/queue",schemaPath:"#/properties/queue/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema21.properties.queue,data:data13};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
if(data.max_wait !== undefined){
let data14 = data.max_wait;
if((!(((typeof data14 == "number") && (!(data14 % 1) && !isNaN(data14))) && (isFinite(data14)))) && (typeof data14 !== "string")){
const err37 = {instancePath:instancePath+"/max_wait",schemaPath:"#/properties/max_wait/type",keyword:"type",params:{type: schema21.properties.max_wait.type},message:"must be integer,string",schema:schema21.properties.max_wait.type,parentSchema:schema21.properties.max_wait,data:data14};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
if((typeof data14 == "number") && (isFinite(data14))){
if(data14 < 0 || isNaN(data14)){
const err38 = {instancePath:instancePath+"/max_wait",schemaPath:"#/properties/max_wait/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema21.properties.max_wait,data:data14};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(typeof data14 === "string"){
if(!pattern5.test(data14)){
const err39 = {instancePath:instancePath+"/max_wait",schemaPath:"#/properties/max_wait/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema21.properties.max_wait,data:data14};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
if(data.timeout !== undefined){
let data15 = data.timeout;
if((!(((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15))) && (isFinite(data15)))) && (typeof data15 !== "string")){
const err40 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/type",keyword:"type",params:{type: schema21.properties.timeout.type},message:"must be integer,string",schema:schema21.properties.timeout.type,parentSchema:schema21.properties.timeout,data:data15};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 < 0 || isNaN(data15)){
const err41 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema21.properties.timeout,data:data15};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
if(typeof data15 === "string"){
if(!pattern5.test(data15)){
const err42 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema21.properties.timeout,data:data15};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
if(data.url !== undefined){
let data16 = data.url;
if(typeof data16 === "string"){
if(func2(data16) < 1){
const err43 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.url,data:data16};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
else {
const err44 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.url.type,parentSchema:schema21.properties.url,data:data16};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
if(data.subject !== undefined){
let data17 = data.subject;
if(typeof data17 === "string"){
if(func2(data17) < 1){
const err45 = {instancePath:instancePath+"/subject",schemaPath:"#/properties/subject/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.subject,data:data17};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
else {
const err46 = {instancePath:instancePath+"/subject",schemaPath:"#/properties/subject/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.subject.type,parentSchema:schema21.properties.subject,data:data17};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
if(data.stream !== undefined){
let data18 = data.stream;
if(typeof data18 === "string"){
if(func2(data18) < 1){
const err47 = {instancePath:instancePath+"/stream",schemaPath:"#/properties/stream/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.stream,data:data18};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
else {
const err48 = {instancePath:instancePath+"/stream",schemaPath:"#/properties/stream/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.stream.type,parentSchema:schema21.properties.stream,data:data18};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
if(data.consumer !== undefined){
let data19 = data.consumer;
if(typeof data19 === "string"){
if(func2(data19) < 1){
const err49 = {instancePath:instancePath+"/consumer",schemaPath:"#/properties/consumer/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.consumer,data:data19};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
else {
const err50 = {instancePath:instancePath+"/consumer",schemaPath:"#/properties/consumer/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.consumer.type,parentSchema:schema21.properties.consumer,data:data19};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data.user !== undefined){
let data20 = data.user;
if(typeof data20 === "string"){
if(func2(data20) < 1){
const err51 = {instancePath:instancePath+"/user",schemaPath:"#/properties/user/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.user,data:data20};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
}
else {
const err52 = {instancePath:instancePath+"/user",schemaPath:"#/properties/user/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.user.type,parentSchema:schema21.properties.user,data:data20};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
if(data.password !== undefined){
let data21 = data.password;
if(typeof data21 === "string"){
if(func2(data21) < 1){
const err53 = {instancePath:instancePath+"/password",schemaPath:"#/properties/password/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.password,data:data21};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
else {
const err54 = {instancePath:instancePath+"/password",schemaPath:"#/properties/password/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.password.type,parentSchema:schema21.properties.password,data:data21};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
if(data.queue_group !== undefined){
let data22 = data.queue_group;
if(typeof data22 === "string"){
if(func2(data22) < 1){
const err55 = {instancePath:instancePath+"/queue_group",schemaPath:"#/properties/queue_group/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema21.properties.queue_group,data:data22};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
else {
const err56 = {instancePath:instancePath+"/queue_group",schemaPath:"#/properties/queue_group/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.properties.queue_group.type,parentSchema:schema21.properties.queue_group,data:data22};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
}
else {
const err57 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema21.type,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
validate15.errors = vErrors;
return errors === 0;
}

const schema24 = {"description":"A sink: writes the events of its streams as newline-delimited JSON to standard output or error, a file or an HTTP endpoint, or publishes each as a NATS message. docunomicon/connectors.md describes each, with its delivery guarantee.","type":"object","additionalProperties":false,"required":["type","from"],"properties":{"type":{"type":"string","enum":["stdout","stderr","file","http","nats"],"description":"Where the events are written: `stdout`, `stderr`, `file` (the file at `path`), `http` (POSTed to `url`), or `nats` (a NATS subject, or a JetStream stream)."},"from":{"description":"The stream, or list of streams, whose events the sink writes.","allOf":[{"$ref":"#/definitions/StreamRefs"}]},"path":{"description":"The file to write, relative to the runeset file's directory. Required when `type` is `file`.","type":"string","minLength":1},"mode":{"type":"string","enum":["append","truncate"],"description":"For `file`: `append` keeps what the file holds and adds to it; `truncate` empties it when the run starts. Default: `append` when the sink reads durable streams (a restart goes on where the last run stopped), `truncate` otherwise."},"url":{"description":"For `http` (required): the `http://` or `https://` URL each batch is POSTed to, as NDJSON. For `nats`: the NATS server to connect to, `nats://host:port`, or several, separated by commas, to try in turn (a cluster); default `nats://127.0.0.1:4222`.","type":"string","minLength":1},"token":{"description":"For `http`: sent as `Authorization: Bearer <token>`. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment.","type":"string","minLength":1},"headers":{"description":"For `http`: more request headers, by name.","type":"object","additionalProperties":{"description":"The header's value.","type":"string"}},"batch_size":{"type":"integer","minimum":1,"maximum":100000,"description":"For `http`: the most events in one POST.","default":1000},"timeout":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: how long one POST may take (connecting, sending, the answer) before it counts as failed and is retried. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"10s"},"retries":{"type":"integer","minimum":0,"maximum":1000,"description":"For `http`: how many times a POST that failed for a passing reason (a 5xx, 408 or 429 answer, a timeout, a connection error) is sent again, after a growing, jittered wait. When they are used up, its events become dead letters (`SINK_RETRIES_EXHAUSTED`); a 4xx answer makes them dead letters at once (`SINK_REJECTED`).","default":8},"backoff":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the wait before the first retry; it doubles with each retry, up to `max_backoff`, each wait drawn at random between half and all of it. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"100ms"},"max_backoff":{"type":["integer","string"],"pattern":"^[0-9]+(ms|s|m|h|d)?$","patternErrorMessage":"write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 10s)","minimum":0,"description":"For `http`: the longest wait between two retries (a `Retry-After` from the server is followed up to it). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.","default":"30s"},"subject":{"description":"The NATS subject each event is published to (`nats` sinks; no wildcards). Required for `nats` sinks.","type":"string","minLength":1},"stream":{"description":"A JetStream stream that captures `subject` (`nats` sinks): each event is published with a `Nats-Msg-Id` header and the sink waits for the server's acknowledgement, so a batch sent again after a crash is dropped by the server as a duplicate.","type":"string","minLength":1},"user":{"description":"The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.","type":"string","minLength":1},"password":{"description":"The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.","type":"string","minLength":1}},"if":{"type":"object","properties":{"type":{"const":"file"}},"required":["type"]},"then":{"required":["path"]}};
const schema25 = {"description":"One stream name, or a list of stream names.","anyOf":[{"description":"One stream name.","allOf":[{"$ref":"#/definitions/Name"}]},{"description":"A list of stream names.","type":"array","minItems":1,"uniqueItems":true,"items":{"$ref":"#/definitions/Name"}}]};
const func0 = require("ajv/dist/runtime/equal").default;

function validate18(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
const _errs0 = errors;
let valid0 = false;
const _errs1 = errors;
if(typeof data === "string"){
if(!pattern1.test(data)){
const err0 = {instancePath,schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
var _valid0 = _errs1 === errors;
valid0 = valid0 || _valid0;
if(!valid0){
const _errs6 = errors;
if(Array.isArray(data)){
if(data.length < 1){
const err2 = {instancePath,schemaPath:"#/anyOf/1/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items",schema:1,parentSchema:schema25.anyOf[1],data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(typeof data0 === "string"){
if(!pattern1.test(data0)){
const err3 = {instancePath:instancePath+"/" + i0,schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/" + i0,schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data0};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
let i1 = data.length;
let j0;
if(i1 > 1){
outer0:
for(;i1--;){
for(j0 = i1; j0--;){
if(func0(data[i1], data[j0])){
const err5 = {instancePath,schemaPath:"#/anyOf/1/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)",schema:true,parentSchema:schema25.anyOf[1],data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
break outer0;
}
}
}
}
}
else {
const err6 = {instancePath,schemaPath:"#/anyOf/1/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema25.anyOf[1].type,parentSchema:schema25.anyOf[1],data};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
var _valid0 = _errs6 === errors;
valid0 = valid0 || _valid0;
}
if(!valid0){
const err7 = {instancePath,schemaPath:"#/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema25.anyOf,parentSchema:schema25,data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
else {
errors = _errs0;
if(vErrors !== null){
if(_errs0){
vErrors.length = _errs0;
}
else {
vErrors = null;
}
}
}
validate18.errors = vErrors;
return errors === 0;
}


function validate17(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
const _errs1 = errors;
let valid0 = true;
const _errs2 = errors;
if(errors === _errs2){
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.type === undefined) && (missing0 = "type")){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data.type !== undefined){
if("file" !== data.type){
const err1 = {};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
}
else {
const err2 = {};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
var _valid0 = _errs2 === errors;
errors = _errs1;
if(vErrors !== null){
if(_errs1){
vErrors.length = _errs1;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs5 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.path === undefined){
const err3 = {instancePath,schemaPath:"#/then/required",keyword:"required",params:{missingProperty: "path"},message:"must have required property '"+"path"+"'",schema:schema24.then.required,parentSchema:schema24.then,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
var _valid0 = _errs5 === errors;
valid0 = _valid0;
}
if(!valid0){
const err4 = {instancePath,schemaPath:"#/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema24.if,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.type === undefined){
const err5 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema24.required,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(data.from === undefined){
const err6 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "from"},message:"must have required property '"+"from"+"'",schema:schema24.required,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
for(const key0 in data){
if(!(func8.call(schema24.properties, key0))){
const err7 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.type !== undefined){
let data1 = data.type;
if(typeof data1 !== "string"){
const err8 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.type.type,parentSchema:schema24.properties.type,data:data1};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if(!(((((data1 === "stdout") || (data1 === "stderr")) || (data1 === "file")) || (data1 === "http")) || (data1 === "nats"))){
const err9 = {instancePath:instancePath+"/type",schemaPath:"#/properties/type/enum",keyword:"enum",params:{allowedValues: schema24.properties.type.enum},message:"must be equal to one of the allowed values",schema:schema24.properties.type.enum,parentSchema:schema24.properties.type,data:data1};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.from !== undefined){
if(!(validate18(data.from, {instancePath:instancePath+"/from",parentData:data,parentDataProperty:"from",rootData}))){
vErrors = vErrors === null ? validate18.errors : vErrors.concat(validate18.errors);
errors = vErrors.length;
}
}
if(data.path !== undefined){
let data3 = data.path;
if(typeof data3 === "string"){
if(func2(data3) < 1){
const err10 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.path,data:data3};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.path.type,parentSchema:schema24.properties.path,data:data3};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.mode !== undefined){
let data4 = data.mode;
if(typeof data4 !== "string"){
const err12 = {instancePath:instancePath+"/mode",schemaPath:"#/properties/mode/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.mode.type,parentSchema:schema24.properties.mode,data:data4};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(!((data4 === "append") || (data4 === "truncate"))){
const err13 = {instancePath:instancePath+"/mode",schemaPath:"#/properties/mode/enum",keyword:"enum",params:{allowedValues: schema24.properties.mode.enum},message:"must be equal to one of the allowed values",schema:schema24.properties.mode.enum,parentSchema:schema24.properties.mode,data:data4};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.url !== undefined){
let data5 = data.url;
if(typeof data5 === "string"){
if(func2(data5) < 1){
const err14 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.url,data:data5};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.url.type,parentSchema:schema24.properties.url,data:data5};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data.token !== undefined){
let data6 = data.token;
if(typeof data6 === "string"){
if(func2(data6) < 1){
const err16 = {instancePath:instancePath+"/token",schemaPath:"#/properties/token/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.token,data:data6};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
else {
const err17 = {instancePath:instancePath+"/token",schemaPath:"#/properties/token/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.token.type,parentSchema:schema24.properties.token,data:data6};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.headers !== undefined){
let data7 = data.headers;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
for(const key1 in data7){
let data8 = data7[key1];
if(typeof data8 !== "string"){
const err18 = {instancePath:instancePath+"/headers/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/headers/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.headers.additionalProperties.type,parentSchema:schema24.properties.headers.additionalProperties,data:data8};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
}
else {
const err19 = {instancePath:instancePath+"/headers",schemaPath:"#/properties/headers/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema24.properties.headers.type,parentSchema:schema24.properties.headers,data:data7};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.batch_size !== undefined){
let data9 = data.batch_size;
if(!(((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9))) && (isFinite(data9)))){
const err20 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema24.properties.batch_size.type,parentSchema:schema24.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 > 100000 || isNaN(data9)){
const err21 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100000},message:"must be <= 100000",schema:100000,parentSchema:schema24.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
if(data9 < 1 || isNaN(data9)){
const err22 = {instancePath:instancePath+"/batch_size",schemaPath:"#/properties/batch_size/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema24.properties.batch_size,data:data9};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
if(data.timeout !== undefined){
let data10 = data.timeout;
if((!(((typeof data10 == "number") && (!(data10 % 1) && !isNaN(data10))) && (isFinite(data10)))) && (typeof data10 !== "string")){
const err23 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/type",keyword:"type",params:{type: schema24.properties.timeout.type},message:"must be integer,string",schema:schema24.properties.timeout.type,parentSchema:schema24.properties.timeout,data:data10};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
if((typeof data10 == "number") && (isFinite(data10))){
if(data10 < 0 || isNaN(data10)){
const err24 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema24.properties.timeout,data:data10};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(typeof data10 === "string"){
if(!pattern5.test(data10)){
const err25 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema24.properties.timeout,data:data10};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
}
if(data.retries !== undefined){
let data11 = data.retries;
if(!(((typeof data11 == "number") && (!(data11 % 1) && !isNaN(data11))) && (isFinite(data11)))){
const err26 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema24.properties.retries.type,parentSchema:schema24.properties.retries,data:data11};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
if((typeof data11 == "number") && (isFinite(data11))){
if(data11 > 1000 || isNaN(data11)){
const err27 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000},message:"must be <= 1000",schema:1000,parentSchema:schema24.properties.retries,data:data11};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
if(data11 < 0 || isNaN(data11)){
const err28 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema24.properties.retries,data:data11};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
}
if(data.backoff !== undefined){
let data12 = data.backoff;
if((!(((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12))) && (isFinite(data12)))) && (typeof data12 !== "string")){
const err29 = {instancePath:instancePath+"/backoff",schemaPath:"#/properties/backoff/type",keyword:"type",params:{type: schema24.properties.backoff.type},message:"must be integer,string",schema:schema24.properties.backoff.type,parentSchema:schema24.properties.backoff,data:data12};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 < 0 || isNaN(data12)){
const err30 = {instancePath:instancePath+"/backoff",schemaPath:"#/properties/backoff/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema24.properties.backoff,data:data12};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(typeof data12 === "string"){
if(!pattern5.test(data12)){
const err31 = {instancePath:instancePath+"/backoff",schemaPath:"#/properties/backoff/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema24.properties.backoff,data:data12};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
if(data.max_backoff !== undefined){
let data13 = data.max_backoff;
if((!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))) && (typeof data13 !== "string")){
const err32 = {instancePath:instancePath+"/max_backoff",schemaPath:"#/properties/max_backoff/type",keyword:"type",params:{type: schema24.properties.max_backoff.type},message:"must be integer,string",schema:schema24.properties.max_backoff.type,parentSchema:schema24.properties.max_backoff,data:data13};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 < 0 || isNaN(data13)){
const err33 = {instancePath:instancePath+"/max_backoff",schemaPath:"#/properties/max_backoff/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema24.properties.max_backoff,data:data13};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(typeof data13 === "string"){
if(!pattern5.test(data13)){
const err34 = {instancePath:instancePath+"/max_backoff",schemaPath:"#/properties/max_backoff/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(ms|s|m|h|d)?$"},message:"must match pattern \""+"^[0-9]+(ms|s|m|h|d)?$"+"\"",schema:"^[0-9]+(ms|s|m|h|d)?$",parentSchema:schema24.properties.max_backoff,data:data13};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
}
if(data.subject !== undefined){
let data14 = data.subject;
if(typeof data14 === "string"){
if(func2(data14) < 1){
const err35 = {instancePath:instancePath+"/subject",schemaPath:"#/properties/subject/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.subject,data:data14};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
else {
const err36 = {instancePath:instancePath+"/subject",schemaPath:"#/properties/subject/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.subject.type,parentSchema:schema24.properties.subject,data:data14};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
if(data.stream !== undefined){
let data15 = data.stream;
if(typeof data15 === "string"){
if(func2(data15) < 1){
const err37 = {instancePath:instancePath+"/stream",schemaPath:"#/properties/stream/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.stream,data:data15};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
else {
const err38 = {instancePath:instancePath+"/stream",schemaPath:"#/properties/stream/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.stream.type,parentSchema:schema24.properties.stream,data:data15};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(data.user !== undefined){
let data16 = data.user;
if(typeof data16 === "string"){
if(func2(data16) < 1){
const err39 = {instancePath:instancePath+"/user",schemaPath:"#/properties/user/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.user,data:data16};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
else {
const err40 = {instancePath:instancePath+"/user",schemaPath:"#/properties/user/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.user.type,parentSchema:schema24.properties.user,data:data16};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
if(data.password !== undefined){
let data17 = data.password;
if(typeof data17 === "string"){
if(func2(data17) < 1){
const err41 = {instancePath:instancePath+"/password",schemaPath:"#/properties/password/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema24.properties.password,data:data17};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
else {
const err42 = {instancePath:instancePath+"/password",schemaPath:"#/properties/password/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.properties.password.type,parentSchema:schema24.properties.password,data:data17};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
else {
const err43 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema24.type,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
validate17.errors = vErrors;
return errors === 0;
}

const schema29 = {"description":"A pipeline: reads events from its streams and casts its steps on each, in order.","type":"object","additionalProperties":false,"required":["from","steps"],"properties":{"from":{"description":"The stream, or list of streams, the pipeline reads.","allOf":[{"$ref":"#/definitions/StreamRefs"}]},"steps":{"description":"The spells cast on each event, in order. What a step emits on its default port (`out`) goes to the next step.","type":"array","minItems":1,"items":{"$ref":"#/definitions/StepSpec"}},"to":{"description":"The stream that receives what the last step emits on its default port. Without it, those events are dropped.","allOf":[{"$ref":"#/definitions/Name"}]},"dead_letters":{"description":"The stream that receives the events whose cast failed (with the error), when the spell's `on_error` is `dead-letter`.","allOf":[{"$ref":"#/definitions/Name"}],"default":"dead-letters"}}};
const schema30 = {"description":"A step: a spell name, or a mapping with the spell name and the streams its named ports go to.","anyOf":[{"description":"The name of the spell this step casts; its named ports are not wired.","allOf":[{"$ref":"#/definitions/Name"}]},{"description":"A spell name and where its named ports go.","type":"object","additionalProperties":false,"required":["spell"],"properties":{"spell":{"description":"The name of the spell this step casts.","allOf":[{"$ref":"#/definitions/Name"}]},"ports":{"description":"Named output ports and the stream each goes to: a spell that calls `emit(event, \"alerts\")` needs `alerts` wired here. The default port `out` always goes to the next step.","type":"object","default":{},"propertyNames":{"$ref":"#/definitions/Name"},"additionalProperties":{"description":"The stream this port's events go to.","allOf":[{"$ref":"#/definitions/Name"}]}}}}]};

function validate23(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
const _errs0 = errors;
let valid0 = false;
const _errs1 = errors;
if(typeof data === "string"){
if(!pattern1.test(data)){
const err0 = {instancePath,schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
var _valid0 = _errs1 === errors;
valid0 = valid0 || _valid0;
if(!valid0){
const _errs6 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.spell === undefined){
const err2 = {instancePath,schemaPath:"#/anyOf/1/required",keyword:"required",params:{missingProperty: "spell"},message:"must have required property '"+"spell"+"'",schema:schema30.anyOf[1].required,parentSchema:schema30.anyOf[1],data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!((key0 === "spell") || (key0 === "ports"))){
const err3 = {instancePath,schemaPath:"#/anyOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema30.anyOf[1],data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.spell !== undefined){
let data0 = data.spell;
if(typeof data0 === "string"){
if(!pattern1.test(data0)){
const err4 = {instancePath:instancePath+"/spell",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data0};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/spell",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data0};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.ports !== undefined){
let data1 = data.ports;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key1 in data1){
const _errs16 = errors;
if(typeof key1 === "string"){
if(!pattern1.test(key1)){
const err6 = {instancePath:instancePath+"/ports",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/ports",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
var valid6 = _errs16 === errors;
if(!valid6){
const err8 = {instancePath:instancePath+"/ports",schemaPath:"#/anyOf/1/properties/ports/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid",schema:schema30.anyOf[1].properties.ports.propertyNames,parentSchema:schema30.anyOf[1].properties.ports,data:data1};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
for(const key2 in data1){
let data2 = data1[key2];
if(typeof data2 === "string"){
if(!pattern1.test(data2)){
const err9 = {instancePath:instancePath+"/ports/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data2};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
else {
const err10 = {instancePath:instancePath+"/ports/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data2};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
}
else {
const err11 = {instancePath:instancePath+"/ports",schemaPath:"#/anyOf/1/properties/ports/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema30.anyOf[1].properties.ports.type,parentSchema:schema30.anyOf[1].properties.ports,data:data1};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
else {
const err12 = {instancePath,schemaPath:"#/anyOf/1/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema30.anyOf[1].type,parentSchema:schema30.anyOf[1],data};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
var _valid0 = _errs6 === errors;
valid0 = valid0 || _valid0;
}
if(!valid0){
const err13 = {instancePath,schemaPath:"#/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema30.anyOf,parentSchema:schema30,data};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
else {
errors = _errs0;
if(vErrors !== null){
if(_errs0){
vErrors.length = _errs0;
}
else {
vErrors = null;
}
}
}
validate23.errors = vErrors;
return errors === 0;
}


function validate21(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.from === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "from"},message:"must have required property '"+"from"+"'",schema:schema29.required,parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.steps === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "steps"},message:"must have required property '"+"steps"+"'",schema:schema29.required,parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data){
if(!((((key0 === "from") || (key0 === "steps")) || (key0 === "to")) || (key0 === "dead_letters"))){
const err2 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.from !== undefined){
if(!(validate18(data.from, {instancePath:instancePath+"/from",parentData:data,parentDataProperty:"from",rootData}))){
vErrors = vErrors === null ? validate18.errors : vErrors.concat(validate18.errors);
errors = vErrors.length;
}
}
if(data.steps !== undefined){
let data1 = data.steps;
if(Array.isArray(data1)){
if(data1.length < 1){
const err3 = {instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items",schema:1,parentSchema:schema29.properties.steps,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
const len0 = data1.length;
for(let i0=0; i0<len0; i0++){
if(!(validate23(data1[i0], {instancePath:instancePath+"/steps/" + i0,parentData:data1,parentDataProperty:i0,rootData}))){
vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
errors = vErrors.length;
}
}
}
else {
const err4 = {instancePath:instancePath+"/steps",schemaPath:"#/properties/steps/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema29.properties.steps.type,parentSchema:schema29.properties.steps,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.to !== undefined){
let data3 = data.to;
if(typeof data3 === "string"){
if(!pattern1.test(data3)){
const err5 = {instancePath:instancePath+"/to",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data3};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/to",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data3};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.dead_letters !== undefined){
let data4 = data.dead_letters;
if(typeof data4 === "string"){
if(!pattern1.test(data4)){
const err7 = {instancePath:instancePath+"/dead_letters",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:data4};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
else {
const err8 = {instancePath:instancePath+"/dead_letters",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:data4};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema29.type,parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
validate21.errors = vErrors;
return errors === 0;
}


function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://sanctum.dev/schema/runeset.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.version === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'",schema:schema11.required,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.streams === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "streams"},message:"must have required property '"+"streams"+"'",schema:schema11.required,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "version") || (key0 === "sanctum")) || (key0 === "streams")) || (key0 === "spells")) || (key0 === "sources")) || (key0 === "sinks")) || (key0 === "pipelines"))){
const err2 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.version !== undefined){
let data0 = data.version;
if(1 !== data0){
const err3 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant",schema:1,parentSchema:schema11.properties.version,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.sanctum !== undefined){
if(!(validate11(data.sanctum, {instancePath:instancePath+"/sanctum",parentData:data,parentDataProperty:"sanctum",rootData}))){
vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
errors = vErrors.length;
}
}
if(data.streams !== undefined){
let data2 = data.streams;
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
for(const key1 in data2){
const _errs6 = errors;
if(typeof key1 === "string"){
if(!pattern1.test(key1)){
const err4 = {instancePath:instancePath+"/streams",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/streams",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
var valid1 = _errs6 === errors;
if(!valid1){
const err6 = {instancePath:instancePath+"/streams",schemaPath:"#/properties/streams/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid",schema:schema11.properties.streams.propertyNames,parentSchema:schema11.properties.streams,data:data2};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
for(const key2 in data2){
let data3 = data2[key2];
if((!(data3 && typeof data3 == "object" && !Array.isArray(data3))) && (data3 !== null)){
const err7 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/StreamSpec/type",keyword:"type",params:{type: schema15.type},message:"must be object,null",schema:schema15.type,parentSchema:schema15,data:data3};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
for(const key3 in data3){
if(!((((key3 === "description") || (key3 === "durable")) || (key3 === "key")) || (key3 === "retention"))){
const err8 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/StreamSpec/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties",schema:false,parentSchema:schema15,data:data3};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data3.description !== undefined){
let data4 = data3.description;
if(typeof data4 !== "string"){
const err9 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/description",schemaPath:"#/definitions/StreamSpec/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema15.properties.description.type,parentSchema:schema15.properties.description,data:data4};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data3.durable !== undefined){
let data5 = data3.durable;
if(typeof data5 !== "boolean"){
const err10 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/durable",schemaPath:"#/definitions/StreamSpec/properties/durable/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema15.properties.durable.type,parentSchema:schema15.properties.durable,data:data5};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.key !== undefined){
let data6 = data3.key;
if(typeof data6 === "string"){
if(func2(data6) < 1){
const err11 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/key",schemaPath:"#/definitions/StreamSpec/properties/key/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema15.properties.key,data:data6};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/key",schemaPath:"#/definitions/StreamSpec/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema15.properties.key.type,parentSchema:schema15.properties.key,data:data6};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data3.retention !== undefined){
let data7 = data3.retention;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
for(const key4 in data7){
if(!((key4 === "max_events") || (key4 === "max_age"))){
const err13 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention",schemaPath:"#/definitions/StreamSpec/properties/retention/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties",schema:false,parentSchema:schema15.properties.retention,data:data7};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data7.max_events !== undefined){
let data8 = data7.max_events;
if(!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))){
const err14 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention/max_events",schemaPath:"#/definitions/StreamSpec/properties/retention/properties/max_events/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema15.properties.retention.properties.max_events.type,parentSchema:schema15.properties.retention.properties.max_events,data:data8};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 < 1 || isNaN(data8)){
const err15 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention/max_events",schemaPath:"#/definitions/StreamSpec/properties/retention/properties/max_events/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema15.properties.retention.properties.max_events,data:data8};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
}
if(data7.max_age !== undefined){
let data9 = data7.max_age;
if((!(((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9))) && (isFinite(data9)))) && (typeof data9 !== "string")){
const err16 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention/max_age",schemaPath:"#/definitions/StreamSpec/properties/retention/properties/max_age/type",keyword:"type",params:{type: schema15.properties.retention.properties.max_age.type},message:"must be integer,string",schema:schema15.properties.retention.properties.max_age.type,parentSchema:schema15.properties.retention.properties.max_age,data:data9};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 < 1 || isNaN(data9)){
const err17 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention/max_age",schemaPath:"#/definitions/StreamSpec/properties/retention/properties/max_age/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema15.properties.retention.properties.max_age,data:data9};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(typeof data9 === "string"){
if(!pattern2.test(data9)){
const err18 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention/max_age",schemaPath:"#/definitions/StreamSpec/properties/retention/properties/max_age/pattern",keyword:"pattern",params:{pattern: "^0*[1-9][0-9]*(ms|s|m|h|d)?$"},message:"must match pattern \""+"^0*[1-9][0-9]*(ms|s|m|h|d)?$"+"\"",schema:"^0*[1-9][0-9]*(ms|s|m|h|d)?$",parentSchema:schema15.properties.retention.properties.max_age,data:data9};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
}
}
else {
const err19 = {instancePath:instancePath+"/streams/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/retention",schemaPath:"#/definitions/StreamSpec/properties/retention/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema15.properties.retention.type,parentSchema:schema15.properties.retention,data:data7};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
}
}
}
else {
const err20 = {instancePath:instancePath+"/streams",schemaPath:"#/properties/streams/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.properties.streams.type,parentSchema:schema11.properties.streams,data:data2};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.spells !== undefined){
let data10 = data.spells;
if(data10 && typeof data10 == "object" && !Array.isArray(data10)){
for(const key5 in data10){
const _errs31 = errors;
if(typeof key5 === "string"){
if(!pattern1.test(key5)){
const err21 = {instancePath:instancePath+"/spells",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key5,propertyName:key5};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
else {
const err22 = {instancePath:instancePath+"/spells",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key5,propertyName:key5};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
var valid7 = _errs31 === errors;
if(!valid7){
const err23 = {instancePath:instancePath+"/spells",schemaPath:"#/properties/spells/propertyNames",keyword:"propertyNames",params:{propertyName: key5},message:"property name must be valid",schema:schema11.properties.spells.propertyNames,parentSchema:schema11.properties.spells,data:data10};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
for(const key6 in data10){
if(!(validate13(data10[key6], {instancePath:instancePath+"/spells/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data10,parentDataProperty:key6,rootData}))){
vErrors = vErrors === null ? validate13.errors : vErrors.concat(validate13.errors);
errors = vErrors.length;
}
}
}
else {
const err24 = {instancePath:instancePath+"/spells",schemaPath:"#/properties/spells/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.properties.spells.type,parentSchema:schema11.properties.spells,data:data10};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.sources !== undefined){
let data12 = data.sources;
if(data12 && typeof data12 == "object" && !Array.isArray(data12)){
for(const key7 in data12){
const _errs39 = errors;
if(typeof key7 === "string"){
if(!pattern1.test(key7)){
const err25 = {instancePath:instancePath+"/sources",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key7,propertyName:key7};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
else {
const err26 = {instancePath:instancePath+"/sources",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key7,propertyName:key7};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
var valid10 = _errs39 === errors;
if(!valid10){
const err27 = {instancePath:instancePath+"/sources",schemaPath:"#/properties/sources/propertyNames",keyword:"propertyNames",params:{propertyName: key7},message:"property name must be valid",schema:schema11.properties.sources.propertyNames,parentSchema:schema11.properties.sources,data:data12};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
for(const key8 in data12){
if(!(validate15(data12[key8], {instancePath:instancePath+"/sources/" + key8.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data12,parentDataProperty:key8,rootData}))){
vErrors = vErrors === null ? validate15.errors : vErrors.concat(validate15.errors);
errors = vErrors.length;
}
}
}
else {
const err28 = {instancePath:instancePath+"/sources",schemaPath:"#/properties/sources/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.properties.sources.type,parentSchema:schema11.properties.sources,data:data12};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.sinks !== undefined){
let data14 = data.sinks;
if(data14 && typeof data14 == "object" && !Array.isArray(data14)){
for(const key9 in data14){
const _errs47 = errors;
if(typeof key9 === "string"){
if(!pattern1.test(key9)){
const err29 = {instancePath:instancePath+"/sinks",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key9,propertyName:key9};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
else {
const err30 = {instancePath:instancePath+"/sinks",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key9,propertyName:key9};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
var valid13 = _errs47 === errors;
if(!valid13){
const err31 = {instancePath:instancePath+"/sinks",schemaPath:"#/properties/sinks/propertyNames",keyword:"propertyNames",params:{propertyName: key9},message:"property name must be valid",schema:schema11.properties.sinks.propertyNames,parentSchema:schema11.properties.sinks,data:data14};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
for(const key10 in data14){
if(!(validate17(data14[key10], {instancePath:instancePath+"/sinks/" + key10.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data14,parentDataProperty:key10,rootData}))){
vErrors = vErrors === null ? validate17.errors : vErrors.concat(validate17.errors);
errors = vErrors.length;
}
}
}
else {
const err32 = {instancePath:instancePath+"/sinks",schemaPath:"#/properties/sinks/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.properties.sinks.type,parentSchema:schema11.properties.sinks,data:data14};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.pipelines !== undefined){
let data16 = data.pipelines;
if(data16 && typeof data16 == "object" && !Array.isArray(data16)){
for(const key11 in data16){
const _errs55 = errors;
if(typeof key11 === "string"){
if(!pattern1.test(key11)){
const err33 = {instancePath:instancePath+"/pipelines",schemaPath:"#/definitions/Name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9_-]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9_-]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9_-]*$",parentSchema:schema14,data:key11,propertyName:key11};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
else {
const err34 = {instancePath:instancePath+"/pipelines",schemaPath:"#/definitions/Name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema14.type,parentSchema:schema14,data:key11,propertyName:key11};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
var valid16 = _errs55 === errors;
if(!valid16){
const err35 = {instancePath:instancePath+"/pipelines",schemaPath:"#/properties/pipelines/propertyNames",keyword:"propertyNames",params:{propertyName: key11},message:"property name must be valid",schema:schema11.properties.pipelines.propertyNames,parentSchema:schema11.properties.pipelines,data:data16};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
for(const key12 in data16){
if(!(validate21(data16[key12], {instancePath:instancePath+"/pipelines/" + key12.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data16,parentDataProperty:key12,rootData}))){
vErrors = vErrors === null ? validate21.errors : vErrors.concat(validate21.errors);
errors = vErrors.length;
}
}
}
else {
const err36 = {instancePath:instancePath+"/pipelines",schemaPath:"#/properties/pipelines/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.properties.pipelines.type,parentSchema:schema11.properties.pipelines,data:data16};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
else {
const err37 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema11.type,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

