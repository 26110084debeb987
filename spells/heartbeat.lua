-- heartbeat: alerts when a key (the field of rune `key`, default "id") goes silent: no event for
-- `timeout` (rune, default "30s") after its last one emits { key, alert = "silent", last_seen };
-- its next event then emits { key, alert = "back", silent_for }. Every event resets the key's
-- timer (a durable timer: it survives restarts); events themselves are not passed on.
local duration = require "sanctum.duration"

local spell = {}
local field, timeout

function spell.init(runes)
  field = runes.key or "id"
  timeout = duration(runes.timeout or "30s", "the rune timeout")
end

function spell.cast(event, emit)
  local key = event[field]
  if key == nil then error("heartbeat: the event has no '" .. field .. "' field") end
  key = tostring(key)
  local now = sanctum.now()
  local last = state.get(key)
  if last ~= nil and last.silent then
    emit({ key = key, alert = "back", silent_for = now - last.seen })
  end
  state.put(key, { seen = now })
  timers.set(key, now + timeout)
end

function spell.timer(key, now, emit)
  local last = state.get(key)
  emit({ key = key, alert = "silent", last_seen = last.seen })
  state.put(key, { seen = last.seen, silent = true })
end

return spell
