;; The Rabin chunker's hot loop (see chunker.ts). The 53-bit digest fits an
;; i64, so each byte costs one shift, two table loads and two XORs; V8 runs
;; this about twice as fast as the same loop on two int32 halves in JS.
;;
;; Memory layout (bytes):
;;   0     drop[256] i64   out[b]·x^8 mod P: a byte leaving the 64-byte window
;;   2048  mod[256]  i64   reduction of the bits shifted above bit 52
;;   4096  ring[64]        the window, carried across calls
;;   8192  scratch         64 KiB where callers copy the data to hash
(module
  (memory (export "memory") 2)
  (global $digest (mut i64) (i64.const 1))
  (global $wpos (mut i32) (i32.const 1))

  ;; restic slides the byte 1 into an all-zero window at reset: digest 1.
  (func (export "reset")
    (memory.fill (i32.const 4096) (i32.const 0) (i32.const 64))
    (i32.store8 (i32.const 4096) (i32.const 1))
    (global.set $digest (i64.const 1))
    (global.set $wpos (i32.const 1)))

  ;; Hashes bytes [p, end) and returns the address just after the first byte
  ;; whose digest has (low 20 bits) == target, or -1 if none did. target -1
  ;; never matches. The state is kept only when there is no cut.
  (func (export "scan") (param $p i32) (param $end i32) (param $target i32) (result i32)
    (local $d i64) (local $w i32) (local $b i32) (local $old i32) (local $ringEnd i32)
    (local.set $d (global.get $digest))
    (local.set $w (global.get $wpos))
    (local.set $ringEnd (select (local.get $end) (i32.add (local.get $p) (i32.const 64))
      (i32.lt_u (local.get $end) (i32.add (local.get $p) (i32.const 64)))))
    ;; The first 64 bytes: the leaving byte comes from the ring.
    (block $ringDone
      (loop $ring
        (br_if $ringDone (i32.ge_u (local.get $p) (local.get $ringEnd)))
        (local.set $b (i32.load8_u (local.get $p)))
        (local.set $old (i32.load8_u offset=4096 (local.get $w)))
        (i32.store8 offset=4096 (local.get $w) (local.get $b))
        (local.set $w (i32.and (i32.add (local.get $w) (i32.const 1)) (i32.const 63)))
        (local.set $d (call $step (local.get $d) (local.get $b) (local.get $old)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $ring (i32.ne (i32.and (i32.wrap_i64 (local.get $d)) (i32.const 0xfffff)) (local.get $target)))
        (return (local.get $p))))
    (if (i32.eq (local.get $p) (local.get $end))
      (then
        (global.set $digest (local.get $d))
        (global.set $wpos (local.get $w))
        (return (i32.const -1))))
    ;; The rest: the leaving byte is still in place, 64 bytes back.
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d
          (i64.xor
            (i64.xor
              (i64.or (i64.shl (local.get $d) (i64.const 8)) (i64.load8_u (local.get $p)))
              (i64.load (i32.shl (i32.load8_u (i32.sub (local.get $p) (i32.const 64))) (i32.const 3))))
            (i64.load offset=2048 (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $d) (i64.const 45))) (i32.const 3)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $next (i32.ne (i32.and (i32.wrap_i64 (local.get $d)) (i32.const 0xfffff)) (local.get $target)))
        (return (local.get $p))))
    (global.set $digest (local.get $d))
    (global.set $wpos (i32.const 0))
    (memory.copy (i32.const 4096) (i32.sub (local.get $end) (i32.const 64)) (i32.const 64))
    (i32.const -1))

  ;; digest = ((digest << 8) | b) ^ drop[old] ^ mod[digest >> 45]
  (func $step (param $d i64) (param $b i32) (param $old i32) (result i64)
    (i64.xor
      (i64.xor
        (i64.or (i64.shl (local.get $d) (i64.const 8)) (i64.extend_i32_u (local.get $b)))
        (i64.load (i32.shl (local.get $old) (i32.const 3))))
      (i64.load offset=2048 (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $d) (i64.const 45))) (i32.const 3))))))
