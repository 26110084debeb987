-- enrich-order: adds the order total; a big order also goes to the "alerts" port.
-- Runes: alert_total (default 1000), currency (default "EUR").
local spell = {}

local alert_total, currency

function spell.init(runes)
  alert_total = runes.alert_total or 1000
  currency = runes.currency or "EUR"
end

function spell.cast(order, emit)
  local total = math.floor(order.qty * order.price * 100 + 0.5) / 100
  if total >= alert_total then
    emit({ alert = "big order", id = order.id, customer = order.customer, total = total }, "alerts")
  end
  emit({ id = order.id, customer = order.customer, total = total, currency = currency })
end

return spell
