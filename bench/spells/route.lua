-- Routing for bench/e2e.ts: hot events go to the `hot` port, the others to `out`.
local spell = {}

function spell.cast(e, emit)
  if e.hot then emit(e, "hot") else emit(e) end
end

return spell
