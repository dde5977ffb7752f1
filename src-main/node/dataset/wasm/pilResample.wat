;; Pillow's 8-bit bilinear resampling passes (Resample.c, ImagingResampleHorizontal_8bpc and
;; ImagingResampleVertical_8bpc) and torchvision's ToTensor + Normalize, in WebAssembly SIMD.
;;
;; The arithmetic is Pillow's, lane by lane: each output byte is
;;   clip8((1 << 21) + sum(pixel * weight))   with int32 weights in 22-bit fixed point,
;; summed in int32 (exact: the sums stay below 2^31, so the order of additions cannot matter), then
;; an arithmetic shift by 22 and a saturating narrow to 0..255, which is Pillow's clip8: a sum at or
;; above 2^30 gives 255, a negative one 0. Normalization is float32 division, subtraction and
;; division in torchvision's order, each correctly rounded as IEEE requires.
;;
;; The caller (pilResize.ts) computes the coefficient tables in JavaScript, lays every buffer out in
;; this module's memory and leaves 64 spare bytes after each one: loads and stores run a few bytes past
;; the end of a row (4-byte pixel loads and stores for 3-byte pixels, 16-byte vectors over rows that
;; are not multiples of 16). Bytes written past a row's end land in the next row, which is written
;; later, or in the spare bytes.
;;
;; Regenerate the embedded binary after editing: npm run build:wasm
(module
  (memory (export "memory") 1)

  ;; Horizontal pass. For each of `rows` rows, output pixel j (j < outCols) is
  ;;   sum over k < taps[j] of src[row + first[j] + 3k .. +3] * weights[j * ksize + k].
  ;; `bounds` holds per output pixel (first byte offset in the source row, number of taps), as int32
  ;; pairs; `weights` holds ksize int32 weights per output pixel. Crops and flips are in the tables.
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $rows i32)
    (param $dst i32) (param $outCols i32)
    (param $bounds i32) (param $weights i32) (param $ksize i32)
    (local $y i32) (local $j i32) (local $k i32) (local $taps i32)
    (local $srcRow i32) (local $out i32) (local $p i32) (local $w i32)
    (local $acc v128)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (if (i32.eqz (local.get $outCols)) (then (return)))
    (local.set $out (local.get $dst))
    (local.set $srcRow (local.get $src))
    (loop $eachRow
      (local.set $j (i32.const 0))
      (loop $eachPixel
        (local.set $p (i32.add (local.get $srcRow)
          (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $j) (i32.const 3))))))
        (local.set $taps
          (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $j) (i32.const 3)))))
        (local.set $w (i32.add (local.get $weights)
          (i32.shl (i32.mul (local.get $j) (local.get $ksize)) (i32.const 2))))
        (local.set $acc (i32x4.splat (i32.const 0x200000)))
        (local.set $k (i32.const 0))
        (block $done
          (br_if $done (i32.eqz (local.get $taps)))
          (loop $eachTap
            ;; R, G, B (and the next pixel's R, ignored) as four int32 lanes.
            (local.set $acc (i32x4.add (local.get $acc)
              (i32x4.mul
                (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                (v128.load32_splat (local.get $w)))))
            (local.set $p (i32.add (local.get $p) (i32.const 3)))
            (local.set $w (i32.add (local.get $w) (i32.const 4)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $eachTap (i32.lt_u (local.get $k) (local.get $taps)))))
        ;; clip8 on each lane; four bytes are stored, the fourth is overwritten by the next pixel.
        (v128.store32_lane 0 (local.get $out)
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $acc) (i32.const 22)) (v128.const i32x4 0 0 0 0))
            (v128.const i32x4 0 0 0 0)))
        (local.set $out (i32.add (local.get $out) (i32.const 3)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $eachPixel (i32.lt_u (local.get $j) (local.get $outCols))))
      (local.set $srcRow (i32.add (local.get $srcRow) (local.get $srcStride)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $eachRow (i32.lt_u (local.get $y) (local.get $rows)))))

  ;; Vertical pass. Output row i (i < outRows, rowBytes bytes each, packed) is
  ;;   sum over k < taps[i] of src[(first[i] + k) * rowBytes ..] * weights[i * ksize + k],
  ;; 16 bytes at a time. `bounds` holds per output row (first source row, number of taps).
  (func (export "vertical")
    (param $src i32) (param $rowBytes i32) (param $dst i32) (param $outRows i32)
    (param $bounds i32) (param $weights i32) (param $ksize i32)
    (local $i i32) (local $x i32) (local $k i32) (local $taps i32) (local $first i32)
    (local $rowWeights i32) (local $p i32) (local $out i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $weight v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (if (i32.eqz (local.get $outRows)) (then (return)))
    (if (i32.eqz (local.get $rowBytes)) (then (return)))
    (local.set $out (local.get $dst))
    (loop $eachRow
      (local.set $first (i32.add (local.get $src) (i32.mul (local.get $rowBytes)
        (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $i) (i32.const 3)))))))
      (local.set $taps
        (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $rowWeights (i32.add (local.get $weights)
        (i32.shl (i32.mul (local.get $i) (local.get $ksize)) (i32.const 2))))
      (local.set $x (i32.const 0))
      (loop $eachChunk
        (local.set $a0 (i32x4.splat (i32.const 0x200000)))
        (local.set $a1 (local.get $a0))
        (local.set $a2 (local.get $a0))
        (local.set $a3 (local.get $a0))
        (local.set $p (i32.add (local.get $first) (local.get $x)))
        (local.set $k (i32.const 0))
        (block $done
          (br_if $done (i32.eqz (local.get $taps)))
          (loop $eachTap
            (local.set $v (v128.load (local.get $p)))
            (local.set $weight (v128.load32_splat
              (i32.add (local.get $rowWeights) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (local.set $a0 (i32x4.add (local.get $a0)
              (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $weight))))
            (local.set $a1 (i32x4.add (local.get $a1)
              (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $weight))))
            (local.set $a2 (i32x4.add (local.get $a2)
              (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $weight))))
            (local.set $a3 (i32x4.add (local.get $a3)
              (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $weight))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $eachTap (i32.lt_u (local.get $k) (local.get $taps)))))
        (v128.store (i32.add (local.get $out) (local.get $x))
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s
              (i32x4.shr_s (local.get $a0) (i32.const 22))
              (i32x4.shr_s (local.get $a1) (i32.const 22)))
            (i16x8.narrow_i32x4_s
              (i32x4.shr_s (local.get $a2) (i32.const 22))
              (i32x4.shr_s (local.get $a3) (i32.const 22)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br_if $eachChunk (i32.lt_u (local.get $x) (local.get $rowBytes))))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $eachRow (i32.lt_u (local.get $i) (local.get $outRows)))))

  ;; torchvision's ToTensor + Normalize on interleaved RGB bytes: (x / 255 - mean) / std in float32.
  ;; `count` bytes from `src` become `count` float32 at `dst`, 12 at a time (four pixels, so the
  ;; channel pattern repeats). `constants` holds three mean vectors then three std vectors, each the
  ;; per-channel values in the order of lanes 0-3, 4-7 and 8-11: (R G B R) (G B R G) (B R G B).
  (func (export "normalize")
    (param $src i32) (param $count i32) (param $dst i32) (param $constants i32)
    (local $i i32) (local $v v128) (local $lo v128) (local $hi v128) (local $out i32)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $s0 v128) (local $s1 v128) (local $s2 v128)
    (local $byteMax v128)
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $m0 (v128.load (local.get $constants)))
    (local.set $m1 (v128.load offset=16 (local.get $constants)))
    (local.set $m2 (v128.load offset=32 (local.get $constants)))
    (local.set $s0 (v128.load offset=48 (local.get $constants)))
    (local.set $s1 (v128.load offset=64 (local.get $constants)))
    (local.set $s2 (v128.load offset=80 (local.get $constants)))
    (local.set $byteMax (v128.const f32x4 255 255 255 255))
    (local.set $out (local.get $dst))
    (loop $eachGroup
      (local.set $v (v128.load (i32.add (local.get $src) (local.get $i))))
      (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
      (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
      (v128.store (local.get $out)
        (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo)))
          (local.get $byteMax)) (local.get $m0)) (local.get $s0)))
      (v128.store offset=16 (local.get $out)
        (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo)))
          (local.get $byteMax)) (local.get $m1)) (local.get $s1)))
      (v128.store offset=32 (local.get $out)
        (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi)))
          (local.get $byteMax)) (local.get $m2)) (local.get $s2)))
      (local.set $out (i32.add (local.get $out) (i32.const 48)))
      (local.set $i (i32.add (local.get $i) (i32.const 12)))
      (br_if $eachGroup (i32.lt_u (local.get $i) (local.get $count)))))
)
