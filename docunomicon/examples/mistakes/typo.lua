-- typo.lua: a spell with a syntax error, on purpose.
local spell = {}

function spell.cast(order)
  order.total = order.price *
end

return spell
