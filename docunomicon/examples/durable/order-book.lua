-- order-book.lua: keeps every order in durable state and answers questions about them:
--   an order {id, customer, amount} is stored under "order:<id>" (the id in six digits);
--   {between = {low, high}} is answered with the ids of the orders whose amount is in [low, high];
--   {latest = n} is answered with the ids of the n newest orders.
local spell = {}

local function ids(rows)
  local out = sanctum.array() -- so that no answer is written as {}
  for _, row in ipairs(rows) do
    out[#out + 1] = row.value.id
  end
  return out
end

function spell.cast(event, emit)
  if event.between then
    local low, high = event.between[1], event.between[2]
    local rows = state.query({ index = "amount", gte = low, lte = high }) -- cheapest first
    emit({ between = event.between, orders = ids(rows) })
  elseif event.latest then
    local rows = state.prefix("order:", { reverse = true, limit = event.latest })
    emit({ latest = event.latest, orders = ids(rows) })
  else
    state.put(string.format("order:%06d", event.id), event)
  end
end

return spell
