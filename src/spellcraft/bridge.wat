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

  ;; lua_rawgeti / lua_rawseti with a 32-bit index.
  (func (export "rawgeti") (param $L i32) (param $idx i32) (param $n i32) (result i32)
    (call $lua_rawgeti (local.get $L) (local.get $idx) (i64.extend_i32_u (local.get $n))))
  (func (export "rawseti") (param $L i32) (param $idx i32) (param $n i32)
    (call $lua_rawseti (local.get $L) (local.get $idx) (i64.extend_i32_u (local.get $n))))
)
