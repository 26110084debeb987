-- add-total.lua: adds `total` (price × qty) to every order line.
local spell = {}

function spell.cast(line)
  line.total = line.price * line.qty
  return line
end

return spell
