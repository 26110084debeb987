-- enrich-order.lua: adds the VAT and the gross amount to an order, at the rate of its country.
local money = require("lib.money")

local spell = {}
local rates, default_rate

function spell.init(runes)
  if type(runes.vat_rates) ~= "table" then
    error("the vat_rates rune is required, e.g. { DE = 19, FR = 20 }")
  end
  rates = runes.vat_rates
  default_rate = runes.default_rate or 0
end

function spell.cast(order)
  local rate = rates[order.country] or default_rate
  order.vat_rate = rate
  order.vat_cents = money.percent_of(order.net_cents, rate)
  order.gross_cents = order.net_cents + order.vat_cents
  return order
end

return spell
