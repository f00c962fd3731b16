-- ptyscript.config: the settings, kept in the very table that is the
-- module `ptyscript` (pty), so that a script's `pty.timeout = 5` is what
-- the library reads at its next call.
--
-- The library reads these through require "ptyscript.config"; nobody
-- hands the table to a module.  init.lua adds the module's functions to
-- it, and the command's main (init.lua too) sets what its options say.
local _ENV = require "ptyscript.std"

return {
  _VERSION = "ptyscript 0.1.0",
  timeout = 10,          -- default expect timeout, read at each call
  show = false,          -- default for spawn's show option (--show)
  -- Also, set by the command's main only:
  --   in_command = true
  --   record = "FILE.cast" (--record): every spawn is recorded
  --   _record_file   --record's file, opened at start, for the first session
  --   _record_input  --record-input: what the user types is recorded too
  --   _log_sink      --log's sink (output.file_sink): every spawn is logged
  --   _trace         --trace: trace lines on stderr, full tracebacks
}
