-- leaderboard.lua: keeps each player's total in durable state; when the input ends, emits the top three.
local spell = {}

function spell.cast(score, emit)
  local key = "player:" .. score.player
  local row = state.get(key) or { player = score.player, total = 0 }
  row.total = row.total + score.points
  state.put(key, row) -- committed with the batch, together with the input position and the outputs
  emit({ player = row.player, total = row.total })
end

function spell.finish(emit)
  -- The three largest totals, from the value index on `total` (see the runeset).
  for rank, row in ipairs(state.query({ index = "total", reverse = true, limit = 3 })) do
    emit({ rank = rank, player = row.value.player, total = row.value.total })
  end
end

return spell
