-- sanctum.duration: a duration in ms, from a number (ms already) or a string with a unit:
-- "250ms", "30s", "5m", "12h", "7d". Bundled with Sanctum: `local duration = require "sanctum.duration"`.
local units = { ms = 1, s = 1000, m = 60000, h = 3600000, d = 86400000 }

return function(v, what)
  what = what or "a duration"
  if type(v) == "number" then
    if v ~= v or v < 0 or v == math.huge then error(what .. " must be a number of ms >= 0, got " .. tostring(v), 2) end
    return v
  end
  if type(v) == "string" then
    local n, unit = v:match("^%s*(%d+%.?%d*)%s*(%a+)%s*$")
    local factor = unit and units[unit]
    if factor then return tonumber(n) * factor end
    error(string.format("%s: cannot read %q; write a number and a unit: ms, s, m, h or d (such as \"30s\")", what, v), 2)
  end
  error(what .. " must be a number of ms or a string such as \"30s\", got " .. type(v), 2)
end
