-- parse-price.lua: parses a price like "12.50 EUR" into whole cents and a currency.
local spell = {}

function spell.cast(e)
  local units, cents, currency = e.price:match("^(%d+)%.(%d%d) (%u%u%u)$")
  if not units then
    error("cannot parse price '" .. e.price .. "'")
  end
  e.price = { cents = tonumber(units) * 100 + tonumber(cents), currency = currency }
  return e
end

return spell
