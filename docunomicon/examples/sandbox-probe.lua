-- sandbox-probe.lua: reports what the sandbox offers; `nil` means "not there".
local spell = {}

function spell.cast(e)
  return {
    io = type(io),                       -- nil: no files
    os_time = type(os.time),             -- function: time and dates are there
    os_getenv = type(os.getenv),         -- nil: no environment, no programs
    require_os = select(2, pcall(require, "os")), -- only modules next to the spell
    dump = type(string.dump),            -- nil: no bytecode
    string_metatable = getmetatable(""), -- "string": locked
  }
end

return spell
