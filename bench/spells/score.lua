-- A CPU-heavy spell (a 200-step hash per event): where casting on several threads can pay off.
local spell = {}

function spell.cast(e)
  local h = e.id
  for i = 1, 200 do h = (h * 31 + i) % 1000003 end
  return { id = e.id, kind = e.kind, score = h }
end

return spell
