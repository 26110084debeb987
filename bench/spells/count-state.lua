-- The stateful step of bench/e2e.ts: a running count per kind in the `state` library.
local spell = {}

function spell.cast(e)
  local n = (state.get(e.kind) or 0) + 1
  state.put(e.kind, n)
  return { id = e.id, kind = e.kind, count = n }
end

return spell
