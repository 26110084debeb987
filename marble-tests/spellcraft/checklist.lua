-- checklist.lua: the spell of the operator checklist (marble-tests/spellcraft/). What an event asks
-- for is what its cast does: emit its value, emit to a port too, fail, or return nothing.
local spell = {}
local seen = 0

function spell.cast(event, emit)
  seen = seen + 1
  if event.fail then error("asked to fail") end
  if event.nothing then return end -- Lua returns nothing: no output
  if event.side then emit({ v = event.v }, "side") end
  emit({ v = event.v })
end

function spell.finish(emit) -- only when the input completes
  emit({ seen = seen })
end

return spell
