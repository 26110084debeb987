-- table-shapes.lua: which Lua tables become JSON arrays, and which become objects.
local spell = {}

function spell.cast(e)
  local emptied = e.list       -- an array from the input...
  emptied[1] = nil             -- ...stays an array when emptied
  return {
    sequence = { "a", "b" },                -- keys 1..n: an array
    holes = { [1] = "a", [3] = "c" },       -- a hole: an object with keys "1" and "3"
    mixed = { "a", kind = "x" },            -- 1..n and other keys: an object
    empty = {},                             -- empty: an object...
    empty_list = sanctum.array(),           -- ...unless marked as an array
    emptied = emptied,
  }
end

return spell
