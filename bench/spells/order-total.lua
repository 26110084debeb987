-- A nested-shape spell: tables and arrays in, tables and arrays out.
local spell = {}

function spell.cast(order)
  local total, lines = 0, {}
  for i, item in ipairs(order.items) do
    local amount = item.qty * item.price
    total = total + amount
    lines[i] = { sku = item.sku, amount = amount }
  end
  return {
    id = order.id,
    customer = { name = order.user.name, tags = #order.user.tags },
    lines = lines,
    summary = { count = #order.items, total = total, big = total > 500 },
  }
end

return spell
