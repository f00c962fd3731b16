-- busted output handler: gtest-style lines per test, then one closing
-- line "busted: N passed, M failed, K skipped" (errors count as failed).
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.gtest"(options)
  busted.subscribe({ "suite", "end" }, function()
    io.write(string.format("busted: %d passed, %d failed, %d skipped\n",
      handler.successesCount, handler.failuresCount + handler.errorsCount,
      handler.pendingsCount))
    io.flush()
    return nil, true
  end)
  return handler
end
