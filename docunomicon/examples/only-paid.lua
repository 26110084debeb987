-- only-paid.lua: lets paid orders through and drops the others.
local spell = {}

function spell.cast(order)
  if order.status == "paid" then
    return order
  end
  -- Returning nothing emits nothing: the order is dropped.
end

return spell
