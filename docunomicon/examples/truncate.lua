-- truncate.lua: shortens `title` to at most `max` characters (not bytes) and adds "…".
local spell = {}
local max

function spell.init(runes)
  max = runes.max or 10
end

function spell.cast(e)
  if utf8.len(e.title) > max then
    -- utf8.offset finds the byte where character max + 1 starts; cutting there keeps
    -- every character whole. string.sub(e.title, 1, max) counts bytes and could cut
    -- one in half, which is not UTF-8, and fails the cast with SPELL_BAD_OUTPUT.
    e.title = e.title:sub(1, utf8.offset(e.title, max + 1) - 1) .. "…"
  end
  return e
end

return spell
