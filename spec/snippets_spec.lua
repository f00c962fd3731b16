-- The documentation's code runs: every fenced block tagged ```lua in
-- README.md and doc/*.md is run by the ptyscript command, each in a fresh
-- temporary directory as its working directory, and must end with status
-- 0 (the snippets check what they claim with assert).  A block whose
-- first line is a comment naming a file that ends in _spec.lua is a busted
-- spec: it is written under that name and run with the busted command the
-- README gives.  A block tagged ```lua fragment (it needs sshd, a person
-- at a terminal, a file of the reader's) is only compiled.
local H = require "helpers"

-- The documents, in a stable order: README.md, then doc/*.md by name.
local function documents()
  local list = { "README.md" }
  local r = H.sh("ls " .. H.q(H.root .. "/doc"))
  local names = {}
  for name in (r.stdout or ""):gmatch("[^\n]+") do
    if name:match("%.md$") then names[#names + 1] = name end
  end
  table.sort(names)
  for _, name in ipairs(names) do list[#list + 1] = "doc/" .. name end
  return list
end

-- The fenced blocks of a Markdown text tagged lua: {line =, tag =, code =}
-- (line: the line of the opening fence), and the problems found: a
-- ```lua fence with any other word after it (a typo must not hide a
-- block), a block left open.
local function blocks(text, file)
  local list, problems, open, n = {}, {}, nil, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if open then
      if line:match("^```%s*$") then
        open.code = table.concat(open.lines, "\n") .. "\n"
        list[#list + 1] = open
        open = nil
      else
        open.lines[#open.lines + 1] = line
      end
    else
      local info = line:match("^```%s*(.-)%s*$")
      if info then
        local lang, rest = info:match("^(%S*)%s*(.-)$")
        if lang == "lua" then
          if rest ~= "" and rest ~= "fragment" then
            problems[#problems + 1] = string.format(
              "%s:%d: unknown tag ```lua %s (write lua or lua fragment)", file, n, rest)
          end
          open = { line = n, tag = rest == "" and "run" or "fragment", lines = {} }
        else
          open = { line = n, tag = "other", lines = {} }
        end
      end
    end
  end
  if open then
    problems[#problems + 1] = string.format("%s:%d: the code block is never closed", file, open.line)
  end
  local out = {}
  for _, b in ipairs(list) do
    if b.tag ~= "other" then out[#out + 1] = b end
  end
  return out, problems
end

-- A failure's message: what ran, where its lines are, and what it said.
local function report(file, b, how, r)
  return string.format("%s:%d: the %s failed (status %s; line k of the block is %s:%d+k)\n"
    .. "--- stdout\n%s--- stderr\n%s", file, b.line, how, tostring(r.code), file, b.line,
    r.stdout or "", r.stderr or "")
end

-- Run one block in a new directory; returns the helpers' result.
local TIMEOUT = "timeout -s KILL 60 "
local function run(b)
  local dir = H.tmpdir()
  local r, how
  local spec = b.code:match("^%-%-%s*(%S+_spec%.lua)")
  if spec then
    -- as the README says: busted on Lua 5.4, the module from this build
    local name = spec:match("([^/]+)$")
    H.write(dir .. "/" .. name, b.code)
    how = "busted spec " .. name
    r = H.sh("cd " .. H.q(dir) .. " && " .. TIMEOUT .. "busted --lua=lua5.4 --cpath="
      .. H.q(H.root .. "/?.so") .. " " .. H.q(name))
  else
    how = "script"
    r = H.run_script(b.code, nil, "cd " .. H.q(dir) .. " && " .. TIMEOUT)
  end
  os.execute("rm -rf " .. H.q(dir))
  return r, how
end

describe("the documentation's Lua code", function()
  for _, file in ipairs(documents()) do
    local text = H.read(H.root .. "/" .. file)
    local list, problems = blocks(text, file)
    it(file .. " has well-formed code blocks", function()
      assert(#problems == 0, table.concat(problems, "\n"))
    end)
    if file == "README.md" or file == "doc/cookbook.md" then
      it(file .. " has Lua blocks to check", function()
        assert.is_true(#list > 0, file .. " has no ```lua block")
      end)
    end
    for _, b in ipairs(list) do
      if b.tag == "fragment" then
        it(string.format("%s:%d compiles", file, b.line), function()
          local fn, err = load(b.code, "=" .. file .. ":" .. b.line .. "+")
          assert(fn, err)
        end)
      else
        it(string.format("%s:%d runs", file, b.line), function()
          local r, how = run(b)
          assert(r.code == 0, report(file, b, how, r))
        end)
      end
    end
  end
end)
