/**
 * Which runes Go's strconv.Quote leaves as they are. restic 0.14.0 was built
 * with go1.19, whose Unicode tables are version 13.0.0; Node's \p{…} classes
 * follow a newer Unicode, under which some 16 000 later-assigned characters
 * (new emoji, CJK extensions) would count as printable where Go escapes them,
 * and the tree bytes, so the tree ids, would differ from restic's.
 *
 * PRINTABLE_RANGES is Unicode 13.0.0's categories L, M, N, P and S plus
 * U+0020 (Go's definition of printable), taken from the Unicode Character
 * Database via the @unicode/unicode-13.0.0 package. Each "gap+length" pair,
 * base 36, is one inclusive range: start = previous end + gap, end = start + length.
 */

const PRINTABLE_RANGES = [
  'w+2m z+b 2+jt 3+5 5+6 2+0 2+j 2+b0 2+11 3+1d 3+2 2+1i 9+q 5+5 i+l 3+5a 2+1b 3+1m 3+2s f+1m 3+1c 3+e 2+r',
  '3+0 2+a 1i+k 2+h c+e 2+4g 2+7 3+1 3+l 2+6 2+0 4+3 3+8 3+1 3+3 9+0 5+1 2+4 3+o 3+2 2+5 5+1 3+l 2+6 2+1',
  '2+1 2+1 3+0 2+4 5+1 3+2 4+0 8+3 2+0 8+g b+2 2+8 2+2 2+l 2+6 2+1 2+4 3+9 2+2 2+2 3+0 g+3 3+b 8+6 2+2 2+7',
  '3+1 3+l 2+6 2+1 2+4 3+8 3+1 3+2 8+2 5+1 2+4 3+h b+1 2+5 4+2 2+3 4+1 2+0 2+1 4+1 4+2 4+b 5+4 4+2 2+3 3+0',
  '7+0 f+k 6+c 2+2 2+m 2+f 4+7 2+2 2+3 8+1 2+2 6+3 3+9 8+l 2+2 2+m 2+9 2+4 3+8 2+2 2+3 8+1 8+0 2+3 3+9 2+1',
  'e+c 2+2 2+1e 2+2 2+5 5+f 3+p 2+2 2+h 4+n 2+8 2+0 3+6 4+0 5+5 2+0 2+7 7+9 3+2 d+1l 5+s 12+1 2+0 2+4 2+n',
  '2+0 2+m 3+4 2+0 2+5 3+9 3+3 x+1z 2+z 5+12 2+z 2+e 2+c 12+5h 2+0 6+0 3+ag 2+3 3+6 2+0 2+3 3+14 2+3 3+w',
  '2+3 3+6 2+0 2+3 3+e 2+1k 2+3 3+1u 3+v 4+p 7+2d 3+5 3+hr 2+r 4+2g 8+c 2+6 c+m a+j d+c 2+2 2+1 d+2l 3+9',
  '7+9 7+d 3+9 7+2g 8+16 6+1x b+u 2+b 5+b 5+0 4+15 3+4 c+17 5+p 7+a 4+1p 3+1s 2+s 3+a 7+9 7+d 3+g 1s+23',
  '5+18 4+37 9+1n 4+e 4+1n 8+16 3+a 9+16 6+6x 2+7u 3+5 3+11 3+5 3+7 2+0 2+0 2+0 2+u 3+1g 2+e 2+d 3+5 2+i',
  '3+2 2+8 i+n 9+1a i+1 3+q 2+c 4+v h+w g+3v 5+ie q+a m+1eb 3+v 2+47 2+1a 2+43 6+18 2+0 6+0 3+1j 8+1 f+n',
  'a+6 2+6 2+6 2+6 2+6 2+6 2+6 2+6 2+36 1a+p 2+2g d+5x r+b 6+1q 2+2d 3+2u 6+16 2+2l 2+2b d+1a 2+lp8 4+wc',
  '4+1i a+9n l+53 9+5b 3+8 17+1j 4+9 7+1j 9+1x 9+b 7+37 c+t 4+25 2+a 5+w 2+1i a+d 3+9 3+2u p+r b+5 3+5 3+5',
  'a+6 2+6 2+1n 5+3h 3+9 7+8mb d+m 5+1c 6it+a5 3+2x 13+6 d+4 6+p 2+4 2+0 2+1 2+1 2+3f i+a4 h+1r 3+1h 15+d',
  '3+p 7+1e 2+i 2+3 5+4 2+3q 5+59 4+5 3+5 3+5 3+2 4+6 2+6 e+1 3+b 2+p 2+i 2+1 2+e 3+d z+3e 6+2 5+18 4+2f',
  '2+c 4+0 1c+19 3n+s 4+1c g+r 5+z a+t 6+16 6+t 2+10 5+d 17+4d 3+9 7+z 5+z 5+13 9+1f c+0 41+8m a+l b+7 49+5',
  '3+0 2+17 2+1 4+0 3+m 2+1z 9+8 1d+i 2+1 6+w 4+q 6+0 1t+1j 5+j 3+1d 2+1 6+7 2+2 2+s 3+2 5+9 8+8 8+1r x+12',
  '5+b a+1h 4+s 3+q 6+p 8+3 d+6 29+20 1k+1e e+1e 8+19 9+9 87+u 2+15 2+2 3+1 27+13 9+15 2f+r l+m a+25 5+t',
  'g+1p 2+3 f+o 8+9 7+1g 2+h 9+12 a+2n 2+j c+h 2+17 1u+6 2+0 2+3 2+e 2+a 7+1m 6+9 7+3 2+7 3+1 3+l 2+6 2+1',
  '2+4 2+9 3+1 3+2 3+0 7+0 6+6 3+6 4+4 3w+2j 2+4 v+1z 9+9 4n+1h 3+11 z+1w c+9 7+c k+1k 8+9 1j+q 3+e 5+f',
  '5d+1n 2t+2a d+7 3+0 3+7 2+1 2+t 2+1 3+b a+9 1z+7 3+19 3+a s+1z 9+2a u+1k 7c+8 2+18 2+d b+s 4+v 3+l 2+d',
  '22+6 2+1 2+17 4+0 2+1 2+8 9+9 7+5 2+1 2+10 2+1 2+5 8+9 8n+o 54+0 g+1d e+pm 2v+32 2+4 c+5f 24d+tq 34i+g6',
  '6nu+fs 8+u 2+9 5+1 2p+t 3+5 b+1x b+9 2+6 2+k 6+i j5+2i 2u+22 5+1k 8+g 1t+4 c+1 f+4qf 9+yd 17+8 6wo+7y',
  '1e+2 i+3 9+az 1s5+2y 6+c 4+8 8+9 3+3 3tt+6t b+12 3+21 9+31 o+1x 4b+j d+2e a+o 3s+2c 2+1y 2+1 3+0 3+1 3+3',
  '2+b 2+0 2+6 2+1s 2+3 3+7 2+6 2+r 2+3 2+4 2+0 4+6 2+9f 3+83 3+jh g+4 2+e 11t+6 2+g 3+6 2+1 2+4 5y+18 4+d',
  '3+9 5+1 a9+1l 6+0 zl+5g 3+f 16+23 5+9 5+1 lu+1v 25+1o 5f+3 2+q 2+1 2+0 3+0 2+9 2+3 2+0 2+0 7+0 5+0 2+0',
  '2+0 2+2 2+1 2+0 3+0 2+0 2+0 2+0 2+0 2+1 2+0 3+3 2+6 2+3 2+3 2+0 2+9 2+g 6+2 2+4 2+g 1h+1 7j+17 5+2r d+e',
  '3+e 2+e 2+10 b+4t 1l+s e+17 5+8 8+1 f+5 4b+rb 9+c 4+c 4+37 d+2g 8+b l+b 5+1j 9+9 7+13 9+t 3+1 27+3c 2+29',
  '2+3q d+d 3+4 4+2 6+6 a+o 8+6 a+2 e+6 16+42 2+1i 12+9 sn+wyl z+378 c+65 3+4g1 f+5rk 2e8+f1 15v+3t6',
  'fcmu+6n',
].join(' ');

/** Flat [start0, end0, start1, end1, …], sorted, built once on first use. */
let bounds: Uint32Array | undefined;

function decodeRanges(): Uint32Array {
  const pairs = PRINTABLE_RANGES.split(' ');
  const out = new Uint32Array(pairs.length * 2);
  let end = 0;
  pairs.forEach((pair, i) => {
    const [gap, length] = pair.split('+').map((n) => parseInt(n, 36)) as [number, number];
    out[2 * i] = end + gap;
    end = end + gap + length;
    out[2 * i + 1] = end;
  });
  return out;
}

/** Go 1.19's unicode.IsPrint / strconv.IsPrint for a code point. */
export function isGoPrintable(cp: number): boolean {
  if (cp < 0x7f) return cp >= 0x20;
  bounds ??= decodeRanges();
  let lo = 0;
  let hi = bounds.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < bounds[2 * mid]!) hi = mid - 1;
    else if (cp > bounds[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}
