-- The manual (doc/manual.md) is the project's contract: every public name
-- of the module and the command must be documented there.  The names are
-- read from the code itself (the module's table, the methods of each kind
-- of object, the fields of matches and error objects, spawn's known
-- options, the command's --help), so a new name fails here until the
-- manual has it.
--
-- A name is documented when it appears in backticks in a heading, or at
-- the start of a table row, a list item or a line, outside code blocks;
-- qualified as the manual writes it (`pty.spawn`, `p:expect`, `m.before`,
-- `--trace`), and for the kinds that have a section of their own, within
-- that section (a stream's `s:expect` under "Pipes and extra
-- descriptors", a screen's `s:text` under "The screen").
local pty = require "ptyscript"
local H = require "helpers"

local MANUAL = "doc/manual.md"

local OUTLINE = {
  "The command", "Loading the module", "Spawning", "Sending", "Expecting",
  "Matches", "Errors", "Waiting and exit", "Tasks", "Callbacks",
  "Logging and recording", "Secrets", "Interact", "Getpass",
  "Pipes and extra descriptors", "The screen", "REPLs", "Testing with busted",
  "Global shorthands", "Limits",
}

-- The code spans at the start of s ("`a`, `b` and `c` ..." -> a, b, c).
local function leading_spans(s, out)
  s = s:gsub("^%s+", "")
  while true do
    local span, rest = s:match("^`([^`]+)`(.*)$")
    if not span then break end
    out[#out + 1] = span
    s = rest:gsub("^[%s,/]+", ""):gsub("^and%s+", ""):gsub("^or%s+", "")
  end
  return out
end

-- The first cell of a table row ("| `a` | b |" -> " `a` "), with a "|"
-- inside a code span kept.
local function first_cell(line)
  local body, i, tick = line:sub(2), 1, false
  while i <= #body do
    local c = body:sub(i, i)
    if c == "`" then tick = not tick elseif c == "|" and not tick then break end
    i = i + 1
  end
  return body:sub(1, i - 1)
end

-- Parse the manual: the "## " sections in order, and for each section
-- the set of keys it documents.  A key is the start of a code span up to
-- the first character that is not part of a name: `p:expect(pat)` ->
-- "p:expect", `--log FILE` -> "--log", `m.before` -> "m.before".
local function index(text)
  local sections, keys, current = {}, {}, nil
  local fenced = false
  for line in (text .. "\n"):gmatch("(.-)\n") do
    if line:match("^%s*```") then
      fenced = not fenced
    elseif not fenced and not line:match("^    ") then
      local spans = {}
      local h2 = line:match("^## (.-)%s*$")
      if h2 then
        current = h2
        sections[#sections + 1] = h2
        keys[h2] = keys[h2] or {}
      end
      if line:match("^#+%s") then
        for span in line:gmatch("`([^`]+)`") do spans[#spans + 1] = span end
      elseif line:match("^|") then
        leading_spans(first_cell(line), spans)
      elseif line:match("^%s*[-*+]%s") then
        leading_spans(line:gsub("^%s*[-*+]%s+", ""), spans)
      else
        leading_spans(line, spans)
      end
      local set = keys[current or ""] or {}
      keys[current or ""] = set
      for _, span in ipairs(spans) do
        local key = span:match("^[%w_%.:%-]+")
        if key then set[key] = true end
      end
    end
  end
  return sections, keys
end

local function read_manual()
  local text = H.read(MANUAL)
  assert(text, "cannot read " .. MANUAL)
  return text
end

-- Every public (not "_") key of t, sorted; only functions with want_fn
-- true, only other values with false, all with nil.
local function names(t, want_fn)
  local out = {}
  for k, v in pairs(t) do
    if type(k) == "string" and not k:find("^_")
        and (want_fn == nil or (type(v) == "function") == want_fn) then
      out[#out + 1] = k
    end
  end
  table.sort(out)
  return out
end

local function keys_of(list)
  local set = {}
  for _, k in ipairs(list) do set[k] = true end
  return set
end

-- The names of `list` that section `section` (or, with nil, any section)
-- does not document as prefix .. name.
local function undocumented(keys, section, prefix, list)
  local missing = {}
  for _, name in ipairs(list) do
    local key, found = prefix .. name, false
    if section then
      found = keys[section] and keys[section][key]
    else
      for _, set in pairs(keys) do found = found or set[key] end
    end
    if not found then missing[#missing + 1] = key end
  end
  return missing
end

local function check(section, prefix, list, what)
  assert.is_true(#list > 0, "no " .. what .. " found in the code")
  local _, keys = index(read_manual())
  local missing = undocumented(keys, section, prefix, list)
  assert(#missing == 0, string.format("%s documents no entry for these %s%s: %s", MANUAL, what,
    section and (" in its section \"" .. section .. "\"") or "", table.concat(missing, ", ")))
end

describe("the manual", function()
  it("has the decided outline, in order", function()
    local sections = index(read_manual())
    assert.same(OUTLINE, sections)
  end)

  it("documents every public name of the module, in plain Lua and in the command", function()
    local list = names(pty)
    -- the command adds what its options set (--log, --record, ...)
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. H.q(dir)))
    local r = H.run({ "--log", dir .. "/t.log", "--record", dir .. "/t.cast", "-e",
      "for k in pairs(pty) do print(k) end" })
    os.execute("rm -rf " .. H.q(dir))
    assert.equal(0, r.code, r.stderr)
    local set = keys_of(list)
    for k in r.stdout:gmatch("[^\n]+") do
      if not k:find("^_") and not set[k] then
        set[k] = true
        list[#list + 1] = k
      end
    end
    check(nil, "pty.", list, "module names")
  end)

  it("documents every method and public field of a process", function()
    check(nil, "p:", names(pty.Process, true), "process methods")
    local fields = {}
    local exited = pty.spawn{ "sh", "-c", "exit 3", timeout = 5 }
    exited:wait()
    local killed = pty.spawn("cat")
    killed:kill("KILL")
    killed:wait()
    local piped = pty.spawn{ "cat", pty = false }
    for _, p in ipairs{ exited, killed, piped } do
      for _, k in ipairs(names(p, false)) do fields[k] = true end
      p:close()
    end
    local list = {}
    for k in pairs(fields) do list[#list + 1] = k end
    table.sort(list)
    check(nil, "p.", list, "process fields")
  end)

  it("documents every method and field of a stream", function()
    local p = pty.spawn{ "cat", pty = false, fds = { [3] = "w", [4] = "r" } }
    local list = names(getmetatable(p.stderr), true)
    check("Pipes and extra descriptors", "s:", list, "stream methods")
    local fields = keys_of(names(p.stderr, false))
    for _, k in ipairs(names(p:stream(3), false)) do fields[k] = true end
    local flist = {}
    for k in pairs(fields) do flist[#flist + 1] = k end
    table.sort(flist)
    check("Pipes and extra descriptors", "s.", flist, "stream fields")
    p:close()
  end)

  it("documents every method of a task", function()
    local t = pty.go(function() end)
    t:wait()
    check("Tasks", "t:", names(getmetatable(t).__index, true), "task methods")
  end)

  it("documents every method of a screen and every attribute of a cell", function()
    local s = pty.screen(2, 4)
    check("The screen", "s:", names(getmetatable(s).__index, true), "screen methods")
    s:feed("\27[31;42mx")   -- (a default colour is nil: no key)
    local _, attrs = s:cell(1, 1)
    check("The screen", "", names(attrs), "cell attributes")
  end)

  it("documents every method of a REPL", function()
    local r = pty.repl{ "sh", prompt_change = "PS1=%q" }
    local list = names(getmetatable(r).__index, true)
    r:close()
    check("REPLs", "r:", list, "REPL methods")
  end)

  it("documents every field of a match table", function()
    local fields = {}
    local function add(m, skip)
      for k in pairs(m) do
        if type(k) == "string" and k ~= skip then fields[k] = true end
      end
    end
    local p = pty.spawn{ "sh", "-c", "echo one two; sleep 5", echo = false }
    add(p:expect("(?<first>\\w+) "), "first")
    add(p:expect_exact("two"))
    add(p:expect({ pty.exact("x"), "y" , pty.TIMEOUT }, 0.05))
    p:close()
    add(p:expect(pty.EOF))
    local list = {}
    for k in pairs(fields) do list[#list + 1] = k end
    table.sort(list)
    check("Matches", "m.", list, "match fields")
  end)

  it("documents every field of an error object", function()
    local fields = {}
    local p = pty.spawn{ "sh", "-c", "echo hi; sleep 5", echo = false, screen = true }
    for _, fn in ipairs{
      function() p:expect("never", 0.05) end,
      function() p:expect_screen("never", 0.05) end,
      function() p:close(); p:expect("never") end,
    } do
      local ok, e = pcall(fn)
      assert.is_false(ok)
      assert.equal(pty.Error, getmetatable(e))
      for _, k in ipairs(names(e)) do fields[k] = true end
    end
    local list = {}
    for k in pairs(fields) do list[#list + 1] = k end
    table.sort(list)
    check("Errors", "e.", list, "error object fields")
  end)

  it("documents every spawn option the code knows", function()
    local list = names(require("ptyscript.spawnopts").known_opts)
    -- (the list is the one spawn checks: an option outside it raises)
    local ok, err = pcall(pty.spawn, { "true", no_such_option = 1 })
    assert.is_false(ok)
    assert.matches('unknown option "no_such_option"', err, 1, true)
    check("Spawning", "", list, "spawn options")
  end)

  it("documents every option --help lists", function()
    local r = H.run({ "--help" })
    assert.equal(0, r.code)
    local list = {}
    for opt in r.stdout:gmatch("\n%s+(%-%-[%w-]+)") do list[#list + 1] = opt end
    check("The command", "", list, "command options")
  end)

  it("documents every global shorthand", function()
    local env = {}
    pty.install_globals(env)
    check("Global shorthands", "", names(env), "global shorthands")
  end)

  it("would fail on a manual that leaves a name out", function()
    -- the checker itself: drop the entries of p:expect and --trace
    local text = read_manual()
    local cut = {}
    for line in (text .. "\n"):gmatch("(.-)\n") do
      if not line:find("`p:expect[`(]") and not line:find("`--trace`", 1, true) then
        cut[#cut + 1] = line
      end
    end
    local _, keys = index(table.concat(cut, "\n"))
    assert.same({ "p:expect" }, undocumented(keys, nil, "p:", { "expect", "send" }))
    assert.same({ "--trace" }, undocumented(keys, "The command", "", { "--trace", "--show" }))
    -- and a name documented in the wrong section does not count
    local _, all = index(text)
    assert.same({ "s:text" }, undocumented(all, "Pipes and extra descriptors", "s:", { "text" }))
  end)
end)

-- doc/reliability.md names, for each fault, the spec that shows it:
-- `file_spec "name"` (a describe's or an it's name, "..." for a part
-- left out).  A spec moved, renamed or removed must take the table with
-- it.
describe("the reliability table", function()
  it("names specs that exist, in the files it says", function()
    local text = H.read("doc/reliability.md")
    local sources, missing, count = {}, {}, 0
    for row in text:gmatch("\n(|[^\n]*)") do
      local cell = row:match("|%s*([^|]*)|%s*$")
      local file
      local pos = 1
      while cell do
        local s, e, word = cell:find("([%w_]+_spec)", pos)
        local qs, qe, name = cell:find('"([^"]*)"', pos)
        if not s and not qs then break end
        if s and (not qs or s < qs) then
          file, pos = word, e + 1
        else
          pos = qe + 1
          if file then
            local path = "spec/" .. file .. ".lua"
            local src = sources[path]
            if src == nil then
              local f = io.open(path, "rb")
              src = f and f:read("a") or false
              if f then f:close() end
              sources[path] = src
            end
            count = count + 1
            for piece in (name .. "..."):gmatch("(.-)%.%.%.") do
              piece = piece:gsub("^%s+", ""):gsub("%s+$", "")
              -- (a backslash is written twice in the spec's Lua string)
              local quoted = piece:gsub("\\", "\\\\")
              if piece ~= "" and not (src and (src:find(piece, 1, true)
                  or src:find(quoted, 1, true))) then
                missing[#missing + 1] = string.format("%s \"%s\"", file, name)
                break
              end
            end
          end
        end
      end
    end
    assert.is_true(count > 50, "found only " .. count .. " spec names in the table")
    assert.are.same({}, missing)
  end)
end)
