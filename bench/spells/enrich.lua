-- The flat enrichment spell every throughput row of bench/run.ts runs.
local spell = {}

function spell.cast(e)
  return { id = e.id, value = e.value * 2, kind = e.kind, hot = e.value > 50 }
end

return spell
