-- notify.lua: one notification per channel named in the `channels` rune.
local spell = {}
local channels

function spell.init(runes)
  channels = runes.channels or { "email" }
end

function spell.cast(order, emit)
  local note = { order = order.id, text = "Order " .. order.id .. " has shipped" }
  for _, channel in ipairs(channels) do
    note.channel = channel
    emit(sanctum.copy(note)) -- a snapshot of `note` as it is now
  end
end

return spell
