-- per-minute.lua: counts the events between two ticks and emits { count, at } on every tick; with
-- `tick: 1m` in the runeset, a count per minute of processing time. (The count is a Lua local: a
-- restart starts it from 0.)
local spell = {}
local count = 0

function spell.cast(event)
  count = count + 1
end

function spell.tick(now, emit)
  emit({ count = count, at = now })
  count = 0
end

return spell
