-- order-lines.lua: turns one order into one event per item; an order without items emits nothing.
local spell = {}

function spell.cast(order, emit)
  for i, item in ipairs(order.items) do
    if item.sku == nil then
      error("item " .. i .. " has no sku")
    end
    emit({ order = order.id, line = i, sku = item.sku, qty = item.qty })
  end
end

return spell
