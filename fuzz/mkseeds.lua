-- mkseeds.lua - write the seed corpus of fuzz/match_fuzz.c (its input
-- format is described at the top of that file).
--   lua5.4 fuzz/mkseeds.lua [dir]        (default fuzz/corpus/match)
--   lua5.4 fuzz/mkseeds.lua DIR known    (also the known_* inputs below)
-- The corpus also holds inputs the fuzzer found (not made here), kept as
-- regression seeds: pcre2-known-* show the PCRE2 10.42 engine bugs that
-- the harness's probes handle; known-G and known-maxbuf-caret the two
-- accepted differences (both reported with MATCH_FUZZ_STRICT=1).
local dir = arg[1] or "fuzz/corpus/match"
os.execute("mkdir -p " .. dir)

local RAW = 0x40          -- config bit 6: output bytes as they are
local GRAMMAR, RAWRE, LITERAL = 0, 2, 3
local I, M, S = 4, 8, 16  -- pattern flags

-- cfg: config byte (the pattern count is taken from #pats); pats: list of
-- {kind, bytes}; out: the output; chunks: list of chunk-size bytes.
local function seed(name, cfg, pats, out, chunks, maxbyte)
  local t = { string.char((cfg & ~3) | (#pats - 1)) }
  if (cfg >> 4) & 3 >= 2 then t[#t + 1] = string.char(maxbyte or 8) end
  for _, p in ipairs(pats) do
    t[#t + 1] = string.char(p[1], #p[2]) .. p[2]
  end
  t[#t + 1] = string.char(#out & 255, #out >> 8) .. out
  for _, c in ipairs(chunks or {}) do t[#t + 1] = string.char(c) end
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(table.concat(t))
  f:close()
end

seed("bc_answer", RAW, { { RAWRE, "(\\d+)\\r\\n" } },
  "2^100\r\n1267650600228229401496703205376\r\n", { 3, 5, 1, 1, 16 })
seed("prompt", RAW, { { RAWRE, "\\$ $" } }, "ls\r\nfile\r\n$ ", { 1, 4, 2, 2, 1 })
seed("password_list", RAW | 4, { { RAWRE, "[Pp]assword: " }, { LITERAL, "denied" },
  { RAWRE | I, "(?<user>\\w+)@host" } },
  "root@host's Password: \r\nPermission denied\r\n", { 2, 7, 0, 3, 9, 1 })
seed("greedy_window", RAW | 0x20, { { RAWRE | S, "a.*b" } },
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", { 5, 5, 5, 5, 5, 5, 5, 5, 5 }, 16)
seed("utf8_split", RAW | 8, { { RAWRE, "\xc3\xa9+|\xe2\x82\xac" }, { LITERAL, "\xf0\x9f\x98\x80" } },
  "x\xc3\xa9\xc3\xa9\xff\xe2\x82\xac\0\xf0\x9f\x98\x80", { 2, 1, 1, 2, 1, 3 })
seed("lookbehind_wordb", RAW | 0x30, { { RAWRE, "(?<=x)y\\b" }, { RAWRE | M, "^ok$" } },
  "xy xyz\nok\nxy", { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 6)
seed("literal_partial", RAW, { { LITERAL, "abcabd" } }, "abcabcabdab", { 1, 2, 3, 1, 1 })
seed("grammar_a", 0x84, { { GRAMMAR, "\x05\x00\x01\x0b\x02\x01\x08\x03\x04" } },
  "\x00\x01\x02\x00\x01\x03\x05\x06\x00\x00\x01", { 1, 3, 2 })
seed("grammar_b", 0x01, { { GRAMMAR | M, "\x07\x09\x00\x0e\x01\x01\x0d\x01\x0f\x00\x02" },
  { GRAMMAR, "\x0c\x00\x00\x04" } },
  "\x00\x00\x01\x05\x02\x08\x09\x0a\x0b\x0c\x0d", { 0, 1, 2, 3, 4 })

-- The known differences (fuzz/match_fuzz.c), reported with
-- MATCH_FUZZ_STRICT=1 and passed over without it.
if arg[2] == "known" then
  seed("known_G", RAW, { { RAWRE, "\\Ga" } }, "ba", { 1, 1 })
  seed("known_trim_caret", RAW | 0x20, { { RAWRE, "^b" } }, "abb", { 2, 1 }, 1)
end
