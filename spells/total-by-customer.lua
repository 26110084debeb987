-- total-by-customer: keeps a running total per customer (state in a Lua local) and, when the
-- input ends, emits one summary per customer in name order.
local spell = {}

local totals, orders = {}, {}

function spell.cast(order)
  totals[order.customer] = (totals[order.customer] or 0) + order.total
  orders[order.customer] = (orders[order.customer] or 0) + 1
end

function spell.finish(emit)
  local names = {}
  for name in pairs(totals) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    emit({ summary = name, orders = orders[name], total = math.floor(totals[name] * 100 + 0.5) / 100 })
  end
end

return spell
