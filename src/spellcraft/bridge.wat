;; Sanctum's WASM helpers, linked against the Lua module's own memory and exports (WASM-to-WASM
;; calls, no JS in between). Compiled into bridge-wasm.ts by scripts/build-bridge.mjs.
(module
  (import "env" "memory" (memory 0))
  (import "env" "realloc" (func $realloc (param i32 i32) (result i32)))
  (import "env" "free" (func $free (param i32)))
  (import "env" "lua_pushinteger" (func $lua_pushinteger (param i32 i64)))
  (import "env" "lua_rawgeti" (func $lua_rawgeti (param i32 i32 i64) (result i32)))
  (import "env" "lua_rawseti" (func $lua_rawseti (param i32 i32 i64)))
  (import "env" "host_call" (func $host_call (param i32) (result i32)))
  (import "env" "lua_type" (func $lua_type (param i32 i32) (result i32)))
  (import "env" "lua_gettop" (func $lua_gettop (param i32) (result i32)))
  (import "env" "lua_settop" (func $lua_settop (param i32 i32)))
  (import "env" "lua_checkstack" (func $lua_checkstack (param i32 i32) (result i32)))
  (import "env" "lua_pushvalue" (func $lua_pushvalue (param i32 i32)))
  (import "env" "lua_pushnil" (func $lua_pushnil (param i32)))
  (import "env" "lua_pushboolean" (func $lua_pushboolean (param i32 i32)))
  (import "env" "lua_pushnumber" (func $lua_pushnumber (param i32 f64)))
  (import "env" "lua_pushlstring" (func $lua_pushlstring (param i32 i32 i32) (result i32)))
  (import "env" "lua_pushlightuserdata" (func $lua_pushlightuserdata (param i32 i32)))
  (import "env" "lua_createtable" (func $lua_createtable (param i32 i32 i32)))
  (import "env" "lua_rawset" (func $lua_rawset (param i32 i32)))
  (import "env" "lua_setmetatable" (func $lua_setmetatable (param i32 i32) (result i32)))
  (import "env" "lua_getmetatable" (func $lua_getmetatable (param i32 i32) (result i32)))
  (import "env" "lua_rawequal" (func $lua_rawequal (param i32 i32 i32) (result i32)))
  (import "env" "lua_toboolean" (func $lua_toboolean (param i32 i32) (result i32)))
  (import "env" "lua_tonumberx" (func $lua_tonumberx (param i32 i32 i32) (result f64)))
  (import "env" "lua_tointegerx" (func $lua_tointegerx (param i32 i32 i32) (result i64)))
  (import "env" "lua_isinteger" (func $lua_isinteger (param i32 i32) (result i32)))
  (import "env" "lua_tolstring" (func $lua_tolstring (param i32 i32 i32) (result i32)))
  (import "env" "lua_touserdata" (func $lua_touserdata (param i32 i32) (result i32)))
  (import "env" "lua_rawlen" (func $lua_rawlen (param i32 i32) (result i64)))
  (import "env" "lua_next" (func $lua_next (param i32 i32) (result i32)))
  (import "env" "lua_topointer" (func $lua_topointer (param i32 i32) (result i32)))

  ;; lua_Alloc with a cap. ud points at { used: u32, max: u32, refused: u32 }; an allocation that
  ;; would take `used` past `max` fails (returns 0), and Lua raises "not enough memory" after a full
  ;; GC. Each failure (the cap's, or the engine's own memory running out) counts in `refused`,
  ;; which only the host reads and resets: a spell cannot fake it, so it tells a real memory
  ;; failure from error("not enough memory"), which Lua also raises as a memory error.
  ;; When ptr is NULL, osize is a type tag, not a size (Lua's contract).
  (func (export "alloc") (param $ud i32) (param $ptr i32) (param $osize i32) (param $nsize i32) (result i32)
    (local $old i64) (local $newUsed i64) (local $p i32)
    (if (local.get $ptr)
      (then (local.set $old (i64.extend_i32_u (local.get $osize)))))
    (if (i32.eqz (local.get $nsize))
      (then
        (if (local.get $ptr)
          (then
            (call $free (local.get $ptr))
            (i32.store (local.get $ud)
              (i32.wrap_i64 (i64.sub (i64.extend_i32_u (i32.load (local.get $ud))) (local.get $old))))))
        (return (i32.const 0))))
    (local.set $newUsed
      (i64.add (i64.sub (i64.extend_i32_u (i32.load (local.get $ud))) (local.get $old))
               (i64.extend_i32_u (local.get $nsize))))
    (if (i32.and (i64.gt_u (i64.extend_i32_u (local.get $nsize)) (local.get $old))
                 (i64.gt_u (local.get $newUsed) (i64.extend_i32_u (i32.load offset=4 (local.get $ud)))))
      (then
        (i32.store offset=8 (local.get $ud) (i32.add (i32.load offset=8 (local.get $ud)) (i32.const 1)))
        (return (i32.const 0))))
    (local.set $p (call $realloc (local.get $ptr) (local.get $nsize)))
    (if (local.get $p)
      (then (i32.store (local.get $ud) (i32.wrap_i64 (local.get $newUsed))))
      (else
        (i32.store offset=8 (local.get $ud) (i32.add (i32.load offset=8 (local.get $ud)) (i32.const 1)))))
    (local.get $p))

  ;; The lua_CFunction of every host callback: Lua calls it through the function table, it calls
  ;; the host's dispatcher (which finds the callback by the closure's upvalue).
  (func (export "host_dispatch") (param $L i32) (result i32)
    (call $host_call (local.get $L)))

  ;; lua_pushinteger without a JS BigInt: the value comes as a double holding an integer
  ;; (|v| < 2^63, checked by the caller) and is truncated exactly.
  (func (export "pushint") (param $L i32) (param $v f64)
    (call $lua_pushinteger (local.get $L) (i64.trunc_f64_s (local.get $v))))

  ;; lua_rawlen as an i32 (clamped at 2^31-1, more than any capped state holds): a JS caller gets a
  ;; number, not a BigInt to convert, once per table read.
  (func (export "rawlen") (param $L i32) (param $idx i32) (result i32)
    (local $n i64)
    (local.set $n (call $lua_rawlen (local.get $L) (local.get $idx)))
    (if (i64.gt_u (local.get $n) (i64.const 0x7fffffff)) (then (return (i32.const 0x7fffffff))))
    (i32.wrap_i64 (local.get $n)))

  ;; lua_rawgeti / lua_rawseti with a 32-bit index.
  (func (export "rawgeti") (param $L i32) (param $idx i32) (param $n i32) (result i32)
    (call $lua_rawgeti (local.get $L) (local.get $idx) (i64.extend_i32_u (local.get $n))))
  (func (export "rawseti") (param $L i32) (param $idx i32) (param $n i32)
    (call $lua_rawseti (local.get $L) (local.get $idx) (i64.extend_i32_u (local.get $n))))
  ;; ---------------------------------------------------------------------------------------------
  ;; Handing an event from one Lua state to another of the same engine (pipeline fusion): a deep
  ;; copy, value by value, with no JS in between. It copies exactly what reading the value into JS
  ;; (lua-vm.ts read) and pushing that into the other state (push) would make, and only that: for
  ;; anything else (a value the read refuses, a table with holes or mixed keys, a key that reads
  ;; like an array index, whose place in a JS object would move, a string starting with a byte
  ;; order mark, which the JS decoder drops, an integer beyond 2^53) it answers 1, "cannot", and
  ;; leaves both stacks as they were: the host then takes the slow path, which converts it or
  ;; reports the error as it always has.

  ;; Scratch for lua_tolstring's length (a size_t), set once by the host.
  (global $lenp (mut i32) (i32.const 0))
  (func (export "set_lenp") (param $p i32) (global.set $lenp (local.get $p)))

  ;; 1 when the bytes [p, p+len) are UTF-8 as a fatal TextDecoder accepts it (no overlong forms,
  ;; no surrogates, nothing above U+10FFFF) and do not begin with a byte order mark.
  (func $text (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $c i32) (local $n i32) (local $lo i32) (local $hi i32) (local $b i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (if (i32.ge_u (local.get $len) (i32.const 3))
      (then
        (if (i32.and (i32.eq (i32.load8_u (local.get $p)) (i32.const 0xEF))
              (i32.and (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 0xBB))
                       (i32.eq (i32.load8_u offset=2 (local.get $p)) (i32.const 0xBF))))
          (then (return (i32.const 0))))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.lt_u (local.get $c) (i32.const 0x80))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $next)))
        (if (i32.lt_u (local.get $c) (i32.const 0xC2)) (then (return (i32.const 0))))
        (if (i32.lt_u (local.get $c) (i32.const 0xE0))
          (then (local.set $n (i32.const 1)))
          (else
            (if (i32.lt_u (local.get $c) (i32.const 0xF0))
              (then (local.set $n (i32.const 2)))
              (else
                (if (i32.lt_u (local.get $c) (i32.const 0xF5))
                  (then (local.set $n (i32.const 3)))
                  (else (return (i32.const 0))))))))
        ;; all n continuation bytes must lie before the end
        (if (i32.ge_u (i32.add (local.get $p) (local.get $n)) (local.get $end)) (then (return (i32.const 0))))
        (local.set $lo (i32.const 0x80))
        (local.set $hi (i32.const 0xBF))
        (if (i32.eq (local.get $c) (i32.const 0xE0)) (then (local.set $lo (i32.const 0xA0))))
        (if (i32.eq (local.get $c) (i32.const 0xED)) (then (local.set $hi (i32.const 0x9F))))
        (if (i32.eq (local.get $c) (i32.const 0xF0)) (then (local.set $lo (i32.const 0x90))))
        (if (i32.eq (local.get $c) (i32.const 0xF4)) (then (local.set $hi (i32.const 0x8F))))
        (local.set $b (i32.load8_u offset=1 (local.get $p)))
        (if (i32.or (i32.lt_u (local.get $b) (local.get $lo)) (i32.gt_u (local.get $b) (local.get $hi)))
          (then (return (i32.const 0))))
        (if (i32.ge_u (local.get $n) (i32.const 2))
          (then
            (if (i32.ne (i32.and (i32.load8_u offset=2 (local.get $p)) (i32.const 0xC0)) (i32.const 0x80))
              (then (return (i32.const 0))))))
        (if (i32.eq (local.get $n) (i32.const 3))
          (then
            (if (i32.ne (i32.and (i32.load8_u offset=3 (local.get $p)) (i32.const 0xC0)) (i32.const 0x80))
              (then (return (i32.const 0))))))
        (local.set $p (i32.add (local.get $p) (i32.add (local.get $n) (i32.const 1))))
        (br $next)))
    (i32.const 1))

  ;; Copies the value at absolute index ia of A onto the top of B; 0, or 1 (cannot: B may hold a
  ;; partial copy above its old top, which the caller drops). mt: the array metatable's index in
  ;; both states; maxDepth: the deepest nesting an event may have (limits.ts MAX_DEPTH).
  (func $copy (param $A i32) (param $ia i32) (param $B i32) (param $mt i32) (param $depth i32) (param $maxDepth i32) (result i32)
    (local $t i32) (local $p i32) (local $i i64) (local $f f64)
    (local.set $t (call $lua_type (local.get $A) (local.get $ia)))
    ;; string
    (if (i32.eq (local.get $t) (i32.const 4))
      (then
        (local.set $p (call $lua_tolstring (local.get $A) (local.get $ia) (global.get $lenp)))
        (if (i32.eqz (call $text (local.get $p) (i32.load (global.get $lenp)))) (then (return (i32.const 1))))
        (drop (call $lua_pushlstring (local.get $B) (local.get $p) (i32.load (global.get $lenp))))
        (return (i32.const 0))))
    ;; number
    (if (i32.eq (local.get $t) (i32.const 3))
      (then
        (if (call $lua_isinteger (local.get $A) (local.get $ia))
          (then
            ;; beyond ±2^53 the read checks exactness in JS: let it
            (local.set $i (call $lua_tointegerx (local.get $A) (local.get $ia) (i32.const 0)))
            (if (i32.or (i64.le_s (local.get $i) (i64.const -9007199254740992))
                        (i64.ge_s (local.get $i) (i64.const 9007199254740992)))
              (then (return (i32.const 1))))
            (call $lua_pushinteger (local.get $B) (local.get $i))
            (return (i32.const 0))))
        (local.set $f (call $lua_tonumberx (local.get $A) (local.get $ia) (i32.const 0)))
        ;; NaN and the infinities are no JSON numbers
        (if (i32.eqz (f64.lt (f64.abs (local.get $f)) (f64.const inf))) (then (return (i32.const 1))))
        ;; a float holding an integer crosses JS as a number and comes back an integer (not -0)
        (if (i32.and
              (i32.and (f64.eq (f64.trunc (local.get $f)) (local.get $f))
                       (i32.and (f64.ge (local.get $f) (f64.const -9223372036854775808))
                                (f64.lt (local.get $f) (f64.const 9223372036854775808))))
              (i32.eqz (i32.and (f64.eq (local.get $f) (f64.const 0))
                                (i64.lt_s (i64.reinterpret_f64 (local.get $f)) (i64.const 0)))))
          (then (call $lua_pushinteger (local.get $B) (i64.trunc_f64_s (local.get $f))))
          (else (call $lua_pushnumber (local.get $B) (local.get $f))))
        (return (i32.const 0))))
    ;; boolean
    (if (i32.eq (local.get $t) (i32.const 1))
      (then
        (call $lua_pushboolean (local.get $B) (call $lua_toboolean (local.get $A) (local.get $ia)))
        (return (i32.const 0))))
    ;; sanctum.null (light userdata 0)
    (if (i32.eq (local.get $t) (i32.const 2))
      (then
        (if (call $lua_touserdata (local.get $A) (local.get $ia)) (then (return (i32.const 1))))
        (call $lua_pushlightuserdata (local.get $B) (i32.const 0))
        (return (i32.const 0))))
    (if (i32.eq (local.get $t) (i32.const 5))
      (then (return (call $table (local.get $A) (local.get $ia) (local.get $B) (local.get $mt) (local.get $depth) (local.get $maxDepth)))))
    (i32.const 1))

  ;; A table: an array (keys exactly 1..n, n > 0, or empty and marked as an array), which B gets
  ;; with the array metatable, as push makes it; or a record of string keys, created with as many
  ;; slots and filled in the order lua_next gives them, as push fills the JS object read in that
  ;; order (so B's table iterates as the slow path's would).
  (func $table (param $A i32) (param $ia i32) (param $B i32) (param $mt i32) (param $depth i32) (param $maxDepth i32) (result i32)
    (local $marked i32) (local $n64 i64) (local $n i32) (local $ints i32) (local $strs i32)
    (local $base i32) (local $k i64) (local $p i32) (local $len i32) (local $j i32) (local $t i32)
    (if (i32.ge_s (local.get $depth) (local.get $maxDepth)) (then (return (i32.const 1))))
    (if (i32.eqz (call $lua_checkstack (local.get $A) (i32.const 4))) (then (return (i32.const 1))))
    (if (i32.eqz (call $lua_checkstack (local.get $B) (i32.const 4))) (then (return (i32.const 1))))
    (if (call $lua_getmetatable (local.get $A) (local.get $ia))
      (then
        (local.set $marked (call $lua_rawequal (local.get $A) (i32.const -1) (local.get $mt)))
        (call $lua_settop (local.get $A) (i32.const -2))))
    (local.set $n64 (call $lua_rawlen (local.get $A) (local.get $ia)))
    (if (i64.gt_u (local.get $n64) (i64.const 0x7fffffff)) (then (return (i32.const 1))))
    (local.set $n (i32.wrap_i64 (local.get $n64)))
    (local.set $base (call $lua_gettop (local.get $A)))
    ;; pass 1: what keys it has (key at base+1, value at base+2)
    (call $lua_pushnil (local.get $A))
    (block $scanned
      (loop $scan
        (br_if $scanned (i32.eqz (call $lua_next (local.get $A) (local.get $ia))))
        (local.set $t (call $lua_type (local.get $A) (i32.add (local.get $base) (i32.const 1))))
        (if (i32.eq (local.get $t) (i32.const 4))
          (then
            (local.set $p (call $lua_tolstring (local.get $A) (i32.add (local.get $base) (i32.const 1)) (global.get $lenp)))
            (local.set $len (i32.load (global.get $lenp)))
            ;; "12" would move to the front of a JS object: let the slow path keep its order
            (if (i32.and (i32.ne (local.get $len) (i32.const 0))
                         (i32.lt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)) (i32.const 10)))
              (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
            (local.set $strs (i32.add (local.get $strs) (i32.const 1))))
          (else
            (if (i32.eqz (i32.and (i32.eq (local.get $t) (i32.const 3))
                                  (call $lua_isinteger (local.get $A) (i32.add (local.get $base) (i32.const 1)))))
              (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
            (local.set $k (call $lua_tointegerx (local.get $A) (i32.add (local.get $base) (i32.const 1)) (i32.const 0)))
            (if (i32.or (i64.lt_s (local.get $k) (i64.const 1)) (i64.gt_s (local.get $k) (local.get $n64)))
              (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
            (local.set $ints (i32.add (local.get $ints) (i32.const 1)))))
        (call $lua_settop (local.get $A) (i32.add (local.get $base) (i32.const 1)))
        (br $scan)))
    (if (local.get $n)
      (then
        (if (i32.or (local.get $strs) (i32.ne (local.get $ints) (local.get $n))) (then (return (i32.const 1))))
        (call $lua_createtable (local.get $B) (local.get $n) (i32.const 0))
        (local.set $j (i32.const 1))
        (block $filled
          (loop $fill
            (br_if $filled (i32.gt_s (local.get $j) (local.get $n)))
            (drop (call $lua_rawgeti (local.get $A) (local.get $ia) (i64.extend_i32_u (local.get $j))))
            (if (call $copy (local.get $A) (i32.add (local.get $base) (i32.const 1)) (local.get $B) (local.get $mt)
                            (i32.add (local.get $depth) (i32.const 1)) (local.get $maxDepth))
              (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
            (call $lua_rawseti (local.get $B) (i32.const -2) (i64.extend_i32_u (local.get $j)))
            (call $lua_settop (local.get $A) (local.get $base))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $fill)))
        (call $lua_pushvalue (local.get $B) (local.get $mt))
        (drop (call $lua_setmetatable (local.get $B) (i32.const -2)))
        (return (i32.const 0))))
    (if (i32.eqz (local.get $strs))
      (then
        (call $lua_createtable (local.get $B) (i32.const 0) (i32.const 0))
        (if (local.get $marked)
          (then
            (call $lua_pushvalue (local.get $B) (local.get $mt))
            (drop (call $lua_setmetatable (local.get $B) (i32.const -2)))))
        (return (i32.const 0))))
    ;; string keys on a table marked as an array: the read refuses it
    (if (local.get $marked) (then (return (i32.const 1))))
    (call $lua_createtable (local.get $B) (i32.const 0) (local.get $strs))
    (call $lua_pushnil (local.get $A))
    (block $copied
      (loop $each
        (br_if $copied (i32.eqz (call $lua_next (local.get $A) (local.get $ia))))
        (local.set $p (call $lua_tolstring (local.get $A) (i32.add (local.get $base) (i32.const 1)) (global.get $lenp)))
        (local.set $len (i32.load (global.get $lenp)))
        (if (i32.eqz (call $text (local.get $p) (local.get $len)))
          (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
        (drop (call $lua_pushlstring (local.get $B) (local.get $p) (local.get $len)))
        (if (call $copy (local.get $A) (i32.add (local.get $base) (i32.const 2)) (local.get $B) (local.get $mt)
                        (i32.add (local.get $depth) (i32.const 1)) (local.get $maxDepth))
          (then (call $lua_settop (local.get $A) (local.get $base)) (return (i32.const 1))))
        (call $lua_rawset (local.get $B) (i32.const -3))
        (call $lua_settop (local.get $A) (i32.add (local.get $base) (i32.const 1)))
        (br $each)))
    (i32.const 0))

  ;; ---------------------------------------------------------------------------------------------
  ;; Reading a record into JS (lua-vm.ts read) without the Lua API: `describe` walks the table's
  ;; own memory (Lua 5.4's Table and Node structs, wasm32 layout) and writes what it holds into the
  ;; host's buffer, which the host decodes. The API costs more than the copying: lua_next looks each
  ;; key up again to find the next, and every call resolves its stack index (measured: 198 ns of
  ;; API calls against 54 ns for this walk, for an output of four fields).
  ;;
  ;; Entries are 16 bytes: tag (i32), then a and b (i32s), or an f64 at offset 8. 1 string (a: the
  ;; address of its bytes in Lua's memory, b: their length; they stay put while the value is on the
  ;; stack, and the host checks their UTF-8), 2 number (the f64), 3 false, 4 true, 6 record (a: how
  ;; many fields, then a key string and a value per field, in the order lua_next gives them: the
  ;; node array from its first slot, skipping empty ones; luaH_next walks the array part first,
  ;; which a record here has not).
  ;;
  ;; It describes only records of short-string keys with no array part and no metatable, whose
  ;; values are numbers (integers within ±2^53, finite floats), short strings, booleans and such
  ;; records, no deeper than maxDepth. For anything else it answers 1, "cannot", and the host reads
  ;; the value through the API, which gives the value or the error as ever.
  ;; test/spellcraft/describe.test.ts holds the walk to what the API read gives, field order included.

  (global $dbuf (mut i32) (i32.const 0))
  (global $dend (mut i32) (i32.const 0))
  (global $dpos (mut i32) (i32.const 0))
  (func (export "set_dbuf") (param $p i32) (param $size i32)
    (global.set $dbuf (local.get $p))
    (global.set $dend (i32.add (local.get $p) (local.get $size))))

  ;; Appends an entry with this tag: its address, or 0 when the buffer is full.
  (func $entry (param $tag i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $dpos))
    (if (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (global.get $dend)) (then (return (i32.const 0))))
    (i32.store (local.get $p) (local.get $tag))
    (global.set $dpos (i32.add (local.get $p) (i32.const 16)))
    (local.get $p))

  ;; A short string (TString: shrlen at 7, its bytes at 16) as an entry.
  (func $shortstr (param $s i32) (result i32)
    (local $e i32)
    (local.set $e (call $entry (i32.const 1)))
    (if (i32.eqz (local.get $e)) (then (return (i32.const 1))))
    (i32.store offset=4 (local.get $e) (i32.add (local.get $s) (i32.const 16)))
    (i32.store offset=8 (local.get $e) (i32.load8_u offset=7 (local.get $s)))
    (i32.const 0))

  ;; The value of the TValue at v (Value at 0, its type tag at 8).
  (func $rawval (param $v i32) (param $depth i32) (param $maxDepth i32) (result i32)
    (local $tt i32) (local $e i32) (local $i i64) (local $f f64)
    (local.set $tt (i32.load8_u offset=8 (local.get $v)))
    ;; LUA_VNUMINT
    (if (i32.eq (local.get $tt) (i32.const 0x03))
      (then
        (local.set $i (i64.load (local.get $v)))
        ;; beyond ±2^53 the read checks exactness itself
        (if (i32.or (i64.le_s (local.get $i) (i64.const -9007199254740992)) (i64.ge_s (local.get $i) (i64.const 9007199254740992)))
          (then (return (i32.const 1))))
        (local.set $e (call $entry (i32.const 2)))
        (if (i32.eqz (local.get $e)) (then (return (i32.const 1))))
        (f64.store offset=8 (local.get $e) (f64.convert_i64_s (local.get $i)))
        (return (i32.const 0))))
    ;; LUA_VNUMFLT: NaN and the infinities are no JSON numbers
    (if (i32.eq (local.get $tt) (i32.const 0x13))
      (then
        (local.set $f (f64.load (local.get $v)))
        (if (i32.eqz (f64.lt (f64.abs (local.get $f)) (f64.const inf))) (then (return (i32.const 1))))
        (local.set $e (call $entry (i32.const 2)))
        (if (i32.eqz (local.get $e)) (then (return (i32.const 1))))
        (f64.store offset=8 (local.get $e) (local.get $f))
        (return (i32.const 0))))
    ;; LUA_VSHRSTR, collectable
    (if (i32.eq (local.get $tt) (i32.const 0x44))
      (then (return (call $shortstr (i32.load (local.get $v))))))
    ;; LUA_VFALSE, LUA_VTRUE
    (if (i32.eq (local.get $tt) (i32.const 0x01))
      (then (return (i32.eqz (call $entry (i32.const 3))))))
    (if (i32.eq (local.get $tt) (i32.const 0x11))
      (then (return (i32.eqz (call $entry (i32.const 4))))))
    ;; LUA_VTABLE, collectable
    (if (i32.eq (local.get $tt) (i32.const 0x45))
      (then (return (call $rawtable (i32.load (local.get $v)) (local.get $depth) (local.get $maxDepth)))))
    (i32.const 1))

  ;; A Table: alimit at 8, array at 12, node at 16, lsizenode at 7, metatable at 24. Node: its
  ;; value (a TValue) at 0, key_tt at 9, key_val at 16; 24 bytes.
  (func $rawtable (param $T i32) (param $depth i32) (param $maxDepth i32) (result i32)
    (local $node i32) (local $end i32) (local $e i32) (local $count i32)
    (if (i32.ge_s (local.get $depth) (local.get $maxDepth)) (then (return (i32.const 1))))
    ;; an array part or a metatable (the array mark among others): the API read
    (if (i32.load offset=12 (local.get $T)) (then (return (i32.const 1))))
    (if (i32.load offset=24 (local.get $T)) (then (return (i32.const 1))))
    (local.set $e (call $entry (i32.const 6)))
    (if (i32.eqz (local.get $e)) (then (return (i32.const 1))))
    (local.set $node (i32.load offset=16 (local.get $T)))
    (local.set $end (i32.add (local.get $node)
      (i32.mul (i32.shl (i32.const 1) (i32.load8_u offset=7 (local.get $T))) (i32.const 24))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $node) (local.get $end)))
        ;; a slot whose value is not empty (nil, empty and absent-key tags have variant 0)
        (if (i32.and (i32.load8_u offset=8 (local.get $node)) (i32.const 0x0F))
          (then
            (if (i32.ne (i32.load8_u offset=9 (local.get $node)) (i32.const 0x44)) (then (return (i32.const 1))))
            (if (call $shortstr (i32.load offset=16 (local.get $node))) (then (return (i32.const 1))))
            (if (call $rawval (local.get $node) (i32.add (local.get $depth) (i32.const 1)) (local.get $maxDepth))
              (then (return (i32.const 1))))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $node (i32.add (local.get $node) (i32.const 24)))
        (br $each)))
    (i32.store offset=4 (local.get $e) (local.get $count))
    (i32.const 0))

  ;; The entry point: describes the table at index i of L into the buffer; 0, or 1 (cannot).
  (func (export "describe") (param $L i32) (param $i i32) (param $maxDepth i32) (result i32)
    (global.set $dpos (global.get $dbuf))
    (if (i32.ne (call $lua_type (local.get $L) (local.get $i)) (i32.const 5)) (then (return (i32.const 1))))
    (call $rawtable (call $lua_topointer (local.get $L) (local.get $i)) (i32.const 0) (local.get $maxDepth)))

  ;; The entry point: copies A's value at ia onto B's top. 0 copied; 1 cannot, both stacks as before.
  (func (export "handoff") (param $A i32) (param $ia i32) (param $B i32) (param $mt i32) (param $maxDepth i32) (result i32)
    (local $topA i32) (local $topB i32)
    (local.set $topA (call $lua_gettop (local.get $A)))
    (local.set $topB (call $lua_gettop (local.get $B)))
    (if (call $copy (local.get $A) (local.get $ia) (local.get $B) (local.get $mt) (i32.const 0) (local.get $maxDepth))
      (then
        (call $lua_settop (local.get $A) (local.get $topA))
        (call $lua_settop (local.get $B) (local.get $topB))
        (return (i32.const 1))))
    (i32.const 0))
)
