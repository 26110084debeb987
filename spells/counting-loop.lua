-- counting-loop: for each event, counts from 1 to its `count` and emits { n = i, of = count }.
-- An event without a numeric `count` uses the `count` rune; count 0 emits nothing; a count that
-- is not a number is an error. When the input ends, emits { total = <events emitted in all> }.
local spell = {}

local default_count
local total = 0

function spell.init(runes)
  default_count = runes.count
end

function spell.cast(event, emit)
  local count = event.count
  if count == nil then count = default_count end
  if type(count) ~= "number" then
    error(("count must be a number, got %s (%s)"):format(tostring(count), type(count)))
  end
  for i = 1, count do
    emit({ n = i, of = count })
    total = total + 1
  end
end

function spell.finish(emit)
  emit({ total = total })
end

return spell
