-- Helpers shared by the ptyscript benchmark scripts (loaded with dofile).
local B = {}

-- Peak resident set of this process (VmHWM), in KiB.
function B.hwm_kb()
  local f = io.open("/proc/self/status")
  if not f then return -1 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) or -1
end

-- CPU time (user + system) this process has used so far, in seconds,
-- from /proc/self/stat (fields 14 and 15, in clock ticks of 1/100 s).
function B.cpu_s()
  local f = io.open("/proc/self/stat")
  if not f then return 0 end
  local s = f:read("a")
  f:close()
  local rest = s:match("%) (.*)$")       -- after the command name
  local fields = {}
  for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
  -- rest starts at field 3 (state): utime is field 14, stime field 15
  return (tonumber(fields[12]) + tonumber(fields[13])) / 100
end

-- The result line the runner reads: BENCH k=v ... hwm_kb=N
function B.report(fields)
  local t = {}
  for _, kv in ipairs(fields or {}) do t[#t + 1] = kv end
  t[#t + 1] = "hwm_kb=" .. B.hwm_kb()
  io.write("BENCH ", table.concat(t, " "), "\n")
end

function B.fail(msg)
  io.stderr:write("FAIL: ", msg, "\n")
  os.exit(1)
end

-- Wait for p to exit 0, else fail.
function B.wait_ok(p, what)
  local ok, how, n = p:wait(30)
  if not ok then B.fail(string.format("%s: wait -> %s %s %s", what, tostring(ok), tostring(how), tostring(n))) end
end

return B
