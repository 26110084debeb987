-- One step of bench/e2e.ts's 3-spell pipeline: adds the value's bucket of ten.
local spell = {}

function spell.cast(e)
  e.bucket = e.value // 10
  return e
end

return spell
