-- lib/money.lua: whole-cent arithmetic, shared by spells with require("lib.money").
local money = {}

-- `percent`% of `cents`, rounded half away from zero, as an integer.
function money.percent_of(cents, percent)
  local exact = cents * percent / 100
  if exact >= 0 then
    return math.floor(exact + 0.5)
  end
  return math.ceil(exact - 0.5)
end

return money
