-- count-by-path: counts requests per path and, when the input ends, emits one line per path.
local spell = {}

local counts = {}

function spell.cast(request)
  counts[request.path] = (counts[request.path] or 0) + 1
end

function spell.finish(emit)
  local paths = {}
  for path in pairs(counts) do paths[#paths + 1] = path end
  table.sort(paths)
  for _, path in ipairs(paths) do emit({ path = path, requests = counts[path] }) end
end

return spell
