-- clean-tags.lua: trims and lower-cases `tags`, drops empty ones, and counts them.
local spell = {}

function spell.cast(e)
  if not sanctum.is_array(e.tags) then -- arrays from the input are marked as arrays
    error("tags must be an array")
  end
  local tags = sanctum.array() -- without it, an empty result would be written as {}
  for _, tag in ipairs(e.tags) do
    local clean = tag:lower():match("^%s*(.-)%s*$")
    if clean ~= "" then
      tags[#tags + 1] = clean
    end
  end
  e.tags = tags
  e.tag_count = #tags
  return e
end

return spell
