-- tag-slow: adds `slow = true|false` to each request; slow ones also go to the "slow" port.
-- Rune: slow_ms, the threshold in milliseconds (default 500).
local spell = {}

local slow_ms

function spell.init(runes)
  slow_ms = runes.slow_ms or 500
end

function spell.cast(request, emit)
  if type(request.ms) ~= "number" then
    error("request has no ms (its duration in milliseconds)")
  end
  local tagged = { path = request.path, ms = request.ms, slow = request.ms >= slow_ms }
  if tagged.slow then emit(tagged, "slow") end
  emit(tagged)
end

return spell
