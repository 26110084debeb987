-- One step of bench/e2e.ts's 3-spell pipeline: adds a tag from the kind and the id.
local spell = {}

function spell.cast(e)
  e.tag = e.kind .. "/" .. (e.id % 10)
  return e
end

return spell
