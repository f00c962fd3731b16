-- T7: R x (a child writes a known 64 KiB and exits at once; read to EOF);
-- count the runs that received fewer bytes.
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local emit, runs = arg[1], assert(math.tointeger(tonumber(arg[2])), "usage: t7.lua EMIT RUNS")
local recs = {}
for i = 0, 4095 do recs[#recs + 1] = string.format("%015d|", i) end
local want = table.concat(recs)
local lost, shorts = 0, {}
for i = 1, runs do
  local p = pty.spawn(emit, "records", 4096)
  local got = p:expect(pty.EOF, 30).before
  B.wait_ok(p, "emit")
  p:close()
  if #got > #want or want:sub(1, #got) ~= got then
    B.fail(string.format("run %d: corrupted output (%d bytes)", i, #got))
  end
  if #got < #want then
    lost = lost + 1
    shorts[#shorts + 1] = #got
  end
end
B.report{ "lost=" .. lost, "runs=" .. runs,
  "short=" .. (#shorts > 0 and table.concat(shorts, ",") or "-") }
