-- dedup: drops an event whose `key` field (rune `key`, default "id") was seen within the last `ttl`
-- (rune `ttl`, default "10m"): the first of each key goes on, repeats are dropped until its time
-- to live ends. Keys seen are kept in `state` with that TTL, so they expire on their own.
local duration = require "sanctum.duration"

local spell = {}
local field, ttl

function spell.init(runes)
  field = runes.key or "id"
  ttl = duration(runes.ttl or "10m", "the rune ttl")
end

function spell.cast(event, emit)
  local key = event[field]
  if key == nil then error("dedup: the event has no '" .. field .. "' field to deduplicate on") end
  key = tostring(key)
  if state.get(key) ~= nil then return end -- seen within the ttl: a repeat
  state.put(key, true, { ttl = ttl })
  emit(event)
end

return spell
