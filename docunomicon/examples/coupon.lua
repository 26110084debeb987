-- coupon.lua: tells a missing coupon from a null one and from a real one.
local spell = {}

function spell.cast(order)
  local c = order.coupon
  if c == nil then
    order.coupon_state = "missing"       -- no `coupon` key at all
  elseif c == sanctum.null then
    order.coupon_state = "none"          -- "coupon": null
    order.coupon = nil                   -- removes the key from the output
  else
    order.coupon_state = "given"
  end
  order.discount = sanctum.null          -- writes "discount": null
  return order
end

return spell
