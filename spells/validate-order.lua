-- validate-order: lets through orders with an id, a customer and a positive whole quantity and a
-- price; fails the rest with the reason, so they land on the pipeline's dead-letter stream.
local spell = {}

function spell.cast(order)
  if type(order.id) ~= "string" then
    error("order has no id")
  end
  if type(order.customer) ~= "string" then
    error(("order %s has no customer"):format(order.id))
  end
  if math.type(order.qty) ~= "integer" or order.qty <= 0 then
    error(("order %s: qty must be a positive whole number, got %s"):format(order.id, tostring(order.qty)))
  end
  if type(order.price) ~= "number" then
    error(("order %s: price must be a number, got %s"):format(order.id, tostring(order.price)))
  end
  return order
end

return spell
