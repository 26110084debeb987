-- throttle: lets at most `limit` events per key (the field of rune `key`; without it, one budget
-- for all) through per `interval` (rune, default "1s"); the excess goes to the port `excess`.
-- Each key's interval starts at its first event; its count is kept in `state` with a time to live
-- of what is left of the interval, so quiet keys cost nothing.
local duration = require "sanctum.duration"

local spell = {}
local field, limit, interval

function spell.init(runes)
  field = runes.key
  limit = runes.limit or 10
  if type(limit) ~= "number" or limit < 1 then error("throttle: the rune limit must be a number >= 1") end
  interval = duration(runes.interval or "1s", "the rune interval")
end

function spell.cast(event, emit)
  local key = field and tostring(event[field]) or ""
  local now = sanctum.now()
  local seen = state.get(key)
  if seen == nil or now >= seen.start + interval then seen = { start = now, n = 0 } end
  if seen.n >= limit then
    emit(event, "excess")
    return
  end
  seen.n = seen.n + 1
  state.put(key, seen, { ttl = seen.start + interval - now })
  emit(event)
end

return spell
