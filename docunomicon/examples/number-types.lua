-- number-types.lua: shows how Lua sees the numbers of an event {qty = 3, price = 2.5}.
local spell = {}

function spell.cast(e)
  return {
    qty_type = math.type(e.qty),     -- "integer": 3 has no fraction in JSON
    price_type = math.type(e.price), -- "float"
    total = e.qty * e.price,         -- 7.5: integer × float is a float
    pairs = e.qty // 2,              -- 1: // of two integers is an integer
    half = e.qty / 2,                -- 1.5: / always gives a float
    two = 4 / 2,                     -- the float 2.0, written as 2
  }
end

return spell
