-- collatz.lua: counts the steps from `n` down to 1 (n → n/2 if even, 3n+1 if odd).
-- It has a bug: for n = 0 it never stops (0 is even, and 0 // 2 is 0 again).
local spell = {}

function spell.cast(e)
  local n, steps = e.n, 0
  -- One line, so the budget error always points at it, wherever in the loop it strikes.
  while n ~= 1 do if n % 2 == 0 then n = n // 2 else n = 3 * n + 1 end steps = steps + 1 end
  return { n = e.n, steps = steps }
end

return spell
