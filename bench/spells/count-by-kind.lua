-- A stateful spell: a running count per kind, kept in a local table.
local counts = {}
local spell = {}

function spell.cast(e, emit)
  local n = (counts[e.kind] or 0) + 1
  counts[e.kind] = n
  emit({ kind = e.kind, count = n })
end

return spell
