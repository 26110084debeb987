-- dedup.lua: drops an event whose `id` was already seen among the last `window` ids,
-- and reports how many it dropped when the stream completes.
local spell = {}

local window                -- how many ids to remember (a rune)
local seen = {}             -- seen[id] = true for every remembered id
local queue = {}            -- the remembered ids, oldest at queue[head]
local head, tail = 1, 0
local dropped = 0

function spell.init(runes)
  window = runes.window or 1000
end

function spell.cast(event, emit)
  local id = event.id
  if seen[id] then
    dropped = dropped + 1
    log.info("duplicate dropped", { id = id })
    return -- emits nothing
  end
  seen[id] = true
  tail = tail + 1
  queue[tail] = id
  if tail - head + 1 > window then -- forget the oldest id
    seen[queue[head]] = nil
    queue[head] = nil
    head = head + 1
  end
  emit(event)
end

function spell.finish(emit)
  emit({ duplicates_dropped = dropped })
end

return spell
