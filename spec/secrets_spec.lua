-- Secrets sent with {secret = true} never reach --trace output or error
-- messages, even when the child echoes them (issue 4, security).
local H = require "helpers"

describe("secrets", function()
  it("are replaced by *** in --trace and in a timeout message, echoed or not", function()
    local r = H.run_script([[
      local p = pty.spawn{"cat"}                 -- the terminal echoes, cat repeats
      p:sendline("s3cr3t-pw", {secret = true})
      p:expect("s3cr")                           -- a match that cuts the secret
      local ok, e = pcall(p.expect, p, "never", 0.2)
      print(tostring(e))
      p:sendline("public")
      p:expect("public")
      p:expect("public")
    ]])
    assert.equal(0, r.code, r.stderr)
    assert.matches("timeout %(0.2s%) waiting for /never/", r.stdout)
    assert.matches('last output: "%*%*%*\\r\\n%*%*%*\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("s3cr3t", 1, true))
    assert.is_nil(r.stdout:find("3t-pw", 1, true))
    assert.is_nil(r.stderr:find("3t-pw", 1, true))
  end)

  -- Found by review: the pattern sendline's wait_echo waits for is the
  -- secret itself.
  it("are replaced by *** in the pattern of a timeout message (wait_echo)", function()
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "stty -echo; read x; sleep 5"}
      pty.sleep(0.2)
      local ok, err = pcall(p.sendline, p, "hunter2-pw", {secret = true, wait_echo = true, timeout = 0.3})
      print(tostring(err))
      p:close{grace = 0}
    ]])
    assert.equal(0, r.code, r.stderr)
    assert.matches('waiting for "%*%*%*\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("hunter2", 1, true), r.stdout)
  end)

  it("do not appear in --trace", function()
    local path = H.script([[
      local p = pty.spawn{"cat"}
      p:sendline("hunter2-pw", {secret = true})
      p:expect("pw\r\n.*pw\r\n")
      p:sendline("visible")
      p:expect("visible\r\n.*visible\r\n")
    ]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches('send to cat: "%*%*%*"', r.stderr)
    assert.matches('send to cat: "visible\\r"', r.stderr)
    assert.matches("matched", r.stderr)
    assert.is_nil(r.stderr:find("hunter2", 1, true), r.stderr)
  end)
end)
