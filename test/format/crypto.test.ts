/** Tests for restic's sealing: upstream vectors (crypto_int_test.go), round trips and tampering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { sha256 } from '../../src/common/ids.js';
import {
  isAuthentic, masterKeyFromJson, masterKeyToJson, newMasterKey, open, seal, sealInPlaceRandom, sealRandom, SEAL_OVERHEAD, type MasterKey,
} from '../../src/format/crypto.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function seededRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(n: number): Buffer {
      const parts: Buffer[] = [];
      for (let have = 0; have < n; have += 32) parts.push(sha256(Buffer.from(`${seed}:${counter++}`)));
      return Buffer.concat(parts).subarray(0, n);
    },
  };
}

const vectorKey: MasterKey = {
  encrypt: hex('303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef'),
  macK: hex('ef4d8824cb80b2bcc5fbff8a9b12a42c'),
  macR: hex('cc8d4b948ee0ebfe1d415de921d10353'),
};
const vectorSealed = hex('69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750');

const isInvalidData = (message?: string) => (err: unknown): boolean =>
  isHoldfastError(err, 'INVALID_DATA') && (message === undefined || err.message === message);

test('opens the upstream Seal vector with an unclamped r', () => {
  assert.equal(open(vectorKey, vectorSealed).toString('utf8'), 'Dies ist ein Test!');
  assert.equal(isAuthentic(vectorKey, vectorSealed), true);
});

test('seal reproduces the upstream Seal vector byte for byte', () => {
  const sealed = seal(vectorKey, Buffer.from('Dies ist ein Test!'), vectorSealed.subarray(0, 16));
  assert.deepEqual(sealed, vectorSealed);
  assert.equal(sealed.length, 18 + SEAL_OVERHEAD);
});

// Bernstein's Poly1305-AES vectors as in restic's crypto_int_test.go. The MAC covers the
// ciphertext, so the message is sealed as the "ciphertext" under an arbitrary AES-256 key.
const poly1305Vectors = [
  { msg: 'f3f6', r: '851fc40c3467ac0be05cc20404f3f700', k: 'ec074c835580741701425b623235add6', nonce: 'fb447350c4e868c52ac3275cf9d4327e', mac: 'f4c633c3044fc145f84f335cb81953de' },
  { msg: '', r: 'a0f3080000f46400d0c7e9076c834403', k: '75deaa25c09f208e1dc4ce6b5cad3fbf', nonce: '61ee09218d29b0aaed7e154a2c5509cc', mac: 'dd3fab2251f11ac759f0887129cc2ee7' },
  { msg: '663cea190ffb83d89593f3f476b6bc24d7e679107ea26adb8caf6652d0656136', r: '48443d0bb0d21109c89a100b5ce2c208', k: '6acb5f61a7176dd320c5c1eb2edcdc74', nonce: 'ae212a55399729595dea458bc621ff0e', mac: '0ee1c16bb73f0f4fd19881753c01cdbe' },
  { msg: 'ab0812724a7f1e342742cbed374d94d136c6b8795d45b3819830f2c04491faf0990c62e48b8018b2c3e4a0fa3134cb67fa83e158c994d961c4cb21095c1bf9', r: '12976a08c4426d0ce8a82407c4f48207', k: 'e1a5668a4d5b66a5f68cc5424ed5982d', nonce: '9ae831e743978d3a23527c7128149e3a', mac: '5154ad0d2cb26e01274fc51148491f1b' },
];

test('Poly1305-AES matches the four upstream vectors', () => {
  for (const v of poly1305Vectors) {
    const key: MasterKey = { encrypt: Buffer.alloc(32, 7), macK: hex(v.k), macR: hex(v.r) };
    const sealed = Buffer.concat([hex(v.nonce), hex(v.msg), hex(v.mac)]);
    assert.equal(isAuthentic(key, sealed), true, `vector ${v.mac}`);
    const plain = open(key, sealed);
    assert.deepEqual(seal(key, plain, hex(v.nonce)), sealed, `vector ${v.mac}`);
    sealed[sealed.length - 1]! ^= 1;
    assert.equal(isAuthentic(key, sealed), false);
  }
});

test('round trips plaintexts of many sizes', () => {
  const random = seededRandom('round-trip');
  const key = newMasterKey(random);
  for (const size of [0, 1, 15, 16, 17, 4096, 1024 * 1024 + 3]) {
    const plain = random.bytes(size);
    const sealed = sealRandom(key, plain, random);
    assert.equal(sealed.length, size + SEAL_OVERHEAD);
    if (size >= 16) assert.notDeepEqual(sealed.subarray(16, 32), plain.subarray(0, 16));
    assert.deepEqual(open(key, sealed), plain);
    assert.deepEqual(open(key, new Uint8Array(sealed)), plain);
  }
});

test('a flipped byte anywhere is rejected before decryption', () => {
  const key = newMasterKey(seededRandom('flip'));
  const sealed = sealRandom(key, Buffer.from('some plaintext that matters'), seededRandom('iv'));
  for (const at of [0, 15, 16, 21, sealed.length - 17, sealed.length - 8, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[at]! ^= 0x23;
    assert.equal(isAuthentic(key, bad), false, `byte ${at}`);
    assert.throws(() => open(key, bad), isInvalidData('ciphertext verification failed'), `byte ${at}`);
  }
  const otherKey = newMasterKey(seededRandom('other'));
  assert.throws(() => open(otherKey, sealed), isInvalidData('ciphertext verification failed'));
});

test('all-zero ivs are refused on both sides', () => {
  const key = newMasterKey(seededRandom('zero'));
  assert.throws(() => seal(key, Buffer.from('x'), Buffer.alloc(16)), (e: unknown) => isHoldfastError(e, 'INTERNAL'));
  assert.throws(() => seal(key, Buffer.from('x'), Buffer.alloc(12, 1)), (e: unknown) => isHoldfastError(e, 'INTERNAL'));
  const sealed = seal(key, Buffer.from('x'), Buffer.alloc(16, 1));
  sealed.fill(0, 0, 16);
  assert.equal(isAuthentic(key, sealed), false);
  assert.throws(() => open(key, sealed), isInvalidData());
});

test('sealRandom redraws an all-zero iv', () => {
  const key = newMasterKey(seededRandom('redraw'));
  let calls = 0;
  const random: Random = { bytes: (n) => Buffer.alloc(n, calls++ === 0 ? 0 : 9) };
  const sealed = sealRandom(key, Buffer.from('abc'), random);
  assert.deepEqual(sealed.subarray(0, 16), Buffer.alloc(16, 9));
  assert.throws(() => sealRandom(key, Buffer.from('abc'), { bytes: (n) => Buffer.alloc(n) }), (e: unknown) => isHoldfastError(e, 'INTERNAL'));
});

test('sealing in place gives the same bytes as seal, across cipher pieces and where the counter wraps', () => {
  const key = newMasterKey(seededRandom('frame'));
  for (const size of [0, 1, 131_072, 300_001]) {
    const plaintext = seededRandom(`frame-data-${size}`).bytes(size);
    for (const iv of [hex('fffffffffffffffffffffffffffffffe'), hex('0102030405060708090a0b0c0d0e0f00'), seededRandom('iv').bytes(16)]) {
      const frame = Buffer.alloc(plaintext.length + SEAL_OVERHEAD, 0xee);
      frame.set(plaintext, SEAL_OVERHEAD / 2);
      sealInPlaceRandom(key, frame, { bytes: () => Buffer.from(iv) });
      assert.deepEqual(frame, seal(key, plaintext, iv), `size ${size}, iv ${iv.toString('hex')}`);
      assert.deepEqual(open(key, frame), plaintext);
    }
  }
});

test('too-short input is invalid data', () => {
  const key = newMasterKey(seededRandom('short'));
  assert.throws(() => open(key, Buffer.alloc(31, 1)), isInvalidData());
  assert.equal(isAuthentic(key, Buffer.alloc(31, 1)), false);
  assert.deepEqual(open(key, seal(key, Buffer.alloc(0), Buffer.alloc(16, 3))), Buffer.alloc(0));
});

test('master key JSON round trips in restic field order', () => {
  const key = newMasterKey(seededRandom('json'));
  const json = masterKeyToJson(key);
  assert.match(json.toString(), /^\{"mac":\{"k":"[A-Za-z0-9+/]{22}==","r":"[A-Za-z0-9+/]{22}=="\},"encrypt":"[A-Za-z0-9+/]{43}="\}$/);
  const back = masterKeyFromJson(json);
  assert.deepEqual([back.encrypt, back.macK, back.macR], [key.encrypt, key.macK, key.macR]);
  // newMasterKey clamps r as restic 0.14 does.
  assert.equal(key.macR[3]! & 0xf0, 0);
  assert.equal(key.macR[4]! & 0x03, 0);
});

test('malformed master key JSON is invalid data', () => {
  const b64 = (n: number, fill = 1): string => Buffer.alloc(n, fill).toString('base64');
  const cases = [
    'not json',
    '{"encrypt":"' + b64(32) + '"}',
    JSON.stringify({ mac: { k: b64(16), r: b64(15) }, encrypt: b64(32) }),
    JSON.stringify({ mac: { k: b64(16), r: b64(16) }, encrypt: b64(31) }),
    JSON.stringify({ mac: { k: b64(16), r: b64(16) }, encrypt: '!!' }),
    JSON.stringify({ mac: { k: b64(16, 0), r: b64(16) }, encrypt: b64(32) }),
  ];
  for (const c of cases) assert.throws(() => masterKeyFromJson(Buffer.from(c)), isInvalidData(), c);
});
