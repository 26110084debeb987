-- running-total: keeps a running total per key in durable state and answers range queries on it.
-- Runes: key (the event field to group by, default "key"), amount (the field to add, default
-- "amount"), report_over (when the input ends, emit every group whose total is above this).
-- Needs `state.indexes: [total]` (runeset) or `state: { indexes: [total] }` (spell test).
local spell = {}

local key_field, amount_field, report_over

function spell.init(runes)
  key_field = runes.key or "key"
  amount_field = runes.amount or "amount"
  report_over = runes.report_over
end

function spell.cast(event)
  local k, amount = event[key_field], event[amount_field]
  if type(k) ~= "string" then error(("%s must be a string, got %s"):format(key_field, type(k))) end
  if type(amount) ~= "number" then error(("%s must be a number, got %s"):format(amount_field, type(amount))) end
  local row = state.get(k) or { key = k, total = 0, count = 0 }
  row.total = row.total + amount
  row.count = row.count + 1
  state.put(k, row)
  return { key = k, total = row.total, count = row.count }
end

function spell.finish(emit)
  if report_over == nil then return end
  -- Uses the value index on `total`: the rows come ordered by total, largest first.
  for _, entry in ipairs(state.query({ index = "total", gt = report_over, reverse = true })) do
    emit({ report = entry.key, total = entry.value.total, count = entry.value.count })
  end
end

return spell
