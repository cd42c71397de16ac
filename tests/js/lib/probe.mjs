// The checks that every environment (Node ESM and CJS, workerd, Chromium)
// runs on the faceid-edge module it loaded. `probe` runs there and must stay
// self-contained: it is shipped as source text (`${probe}`) into child
// processes, workers and pages. It returns plain JSON data; `checkProbe`
// asserts on that data back in the test process.
import assert from "node:assert/strict";

export const TICKET = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
export const NONCE = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";
export const VECTOR1 = ["appId001", "aabc1457895464", "1.0.0", TICKET, NONCE];
export const SIGN1 = "993D057C652D97FD90D5D298F2E5DC4B8D893CBC";
export const VECTOR2 = ["IDAXXXXX", "userID19959248596551", NONCE, "1.0.0",
  "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"];
export const SIGN2 = "D7606F1741DDCF90757DA924EDCF152A200AC7F0";
export const SIGN_LEADING_ZERO = "000CB94C66CA4FF046D56877BD172D4403D79EF1"; // VECTOR1, orderNo "order51"
export const SIGN_CODE_POINT = "A7640075B9C155FC2C261ABDC2A7FFA9E5D5E255"; // ["\u{1F600}", "\uFF5E", "a"]
/** The public value exports that index.d.ts declares (checked against it by tsc in node.test.mjs). */
export const EXPORTS = [
  "FaceIdClient", "FaceIdError", "TicketManager", "TicketOwner", "codeInfo", "createEdgeHandler", "createRedisTicketStore", "decodeMedia",
  "default", "nonce", "sign", "signValues", "verifyOrderToken", "verifySign",
];

export async function probe(f, nonceCount = 10000) {
  const T = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S";
  const N = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";
  const v1 = ["appId001", "aabc1457895464", "1.0.0", T, N];
  const v2 = ["IDAXXXXX", "userID19959248596551", N, "1.0.0",
    "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"];
  const opts = { appId: "appId001", orderNo: "aabc1457895464", ticket: T, nonce: N };
  const s1 = f.signValues(v1);

  // Does any 8-character piece of the ticket show up in the error?
  const leaks = (e) => {
    const text = String(e?.message) + String(e?.stack);
    for (let i = 0; i + 8 <= T.length; i++) if (text.includes(T.slice(i, i + 8))) return true;
    return false;
  };
  const describe = (e) => ({
    thrown: true, name: e?.name, code: e?.code, message: String(e?.message),
    isError: e instanceof Error, isFaceIdError: e instanceof f.FaceIdError, leaks: leaks(e),
  });
  const attempt = (fn) => {
    try {
      return { thrown: false, value: fn() };
    } catch (e) {
      return describe(e);
    }
  };
  const errorCases = [
    ["orderNo with '-'", "INVALID_ORDER_NO", () => f.sign({ ...opts, orderNo: "bad-order" })],
    ["orderNo of 33", "INVALID_ORDER_NO", () => f.sign({ ...opts, orderNo: "a".repeat(33) })],
    ["orderNo empty", "INVALID_ORDER_NO", () => f.sign({ ...opts, orderNo: "" })],
    ["orderNo number", "INVALID_ORDER_NO", () => f.sign({ ...opts, orderNo: 5 })],
    ["orderNo missing", "INVALID_ORDER_NO", () => f.sign({ appId: "appId001", ticket: T, nonce: N })],
    ["nonce short", "INVALID_NONCE", () => f.sign({ ...opts, nonce: "abc" })],
    ["nonce symbols", "INVALID_NONCE", () => f.sign({ ...opts, nonce: "-".repeat(32) })],
    ["appId empty", "INVALID_APP_ID", () => f.sign({ ...opts, appId: "" })],
    ["appId space", "INVALID_APP_ID", () => f.sign({ ...opts, appId: "app id" })],
    ["ticket empty", "INVALID_TICKET", () => f.sign({ ...opts, ticket: "" })],
    ["ticket space", "INVALID_TICKET", () => f.sign({ ...opts, ticket: T + " x" })],
    ["ticket newline", "INVALID_TICKET", () => f.sign({ ...opts, ticket: T.slice(0, 30) + "\n" + T.slice(30) })],
    ["ticket number", "INVALID_TICKET", () => f.sign({ ...opts, ticket: 1 })],
    ["version empty", "INVALID_VERSION", () => f.sign({ ...opts, version: "" })],
    ["version space", "INVALID_VERSION", () => f.sign({ ...opts, version: "1.0.0 " })],
    ["version number", "INVALID_VERSION", () => f.sign({ ...opts, version: 1 })],
    ["signValues number", "INVALID_VALUE", () => f.signValues([...v1, 1])],
    ["signValues object", "INVALID_VALUE", () => f.signValues(["a", {}])],
    ["verifySign number", "INVALID_VALUE", () => f.verifySign([T, 1], s1)],
    ["sign(null)", "INVALID_ARGUMENT", () => f.sign(null)],
    ["sign(string)", "INVALID_ARGUMENT", () => f.sign(T)],
    ["signValues(string)", "INVALID_ARGUMENT", () => f.signValues(T)],
    ["signValues(null)", "INVALID_ARGUMENT", () => f.signValues(null)],
  ];

  const nonces = Array.from({ length: nonceCount }, () => f.nonce());
  const counts = new Map();
  for (const n of nonces) for (const c of n) counts.set(c, (counts.get(c) ?? 0) + 1);
  const expected = (nonceCount * 32) / 62;
  let chi2 = 0;
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") {
    chi2 += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
  }
  const constructed = new f.FaceIdError("INVALID_VALUE", "made by hand");

  return {
    initType: typeof f.default,
    initResolvesUndefined: (await f.default()) === undefined,
    vector1: s1,
    vector1Permuted: f.signValues([v1[4], v1[2], v1[0], v1[3], v1[1]]),
    vector1WithNulls: f.signValues([null, ...v1.slice(0, 2), undefined, ...v1.slice(2), null]),
    vector2: f.signValues(v2),
    leadingZero: f.signValues(["appId001", "order51", "1.0.0", T, N]),
    codePoint: f.signValues(["\u{1F600}", "\uFF5E", "a"]),
    codePointPermuted: f.signValues(["a", "\u{1F600}", "\uFF5E"]),
    sign: f.sign(opts),
    signLeadingZero: f.sign({ ...opts, orderNo: "order51" }),
    signExplicitVersion: f.sign({ ...opts, version: "1.0.0" }),
    signVersion2: f.sign({ ...opts, version: "2.0.0" }),
    signValuesVersion2: f.signValues(["appId001", "aabc1457895464", "2.0.0", T, N]),
    verify: {
      upper: f.verifySign(v1, s1),
      lower: f.verifySign(v1, s1.toLowerCase()),
      mixed: f.verifySign(v1, s1.slice(0, 20).toLowerCase() + s1.slice(20)),
      lastCharChanged: f.verifySign(v1, s1.slice(0, 39) + (s1[39] === "C" ? "D" : "C")),
      otherValues: f.verifySign(v2, s1),
      tooShort: f.verifySign(v1, s1.slice(0, 39)),
      nonHex: f.verifySign(v1, "G" + s1.slice(1)),
      withNulls: f.verifySign([null, ...v1], s1),
      signNotString: attempt(() => f.verifySign(v1, 5)),
    },
    nonce: {
      count: nonces.length,
      unique: new Set(nonces).size,
      malformed: nonces.filter((n) => !/^[A-Za-z0-9]{32}$/.test(n)),
      alphabet: counts.size,
      chi2,
    },
    errors: errorCases.map(([label, expectedCode, fn]) => ({ label, expectedCode, ...attempt(fn) })),
    constructed: {
      name: constructed.name, code: constructed.code, message: constructed.message,
      isError: constructed instanceof Error, isFaceIdError: constructed instanceof f.FaceIdError,
    },
  };
}

/** Asserts on what `probe` returned. */
export function checkProbe(r, nonceCount = 10000) {
  assert.equal(r.initType, "function", "default export init");
  assert.equal(r.initResolvesUndefined, true, "await init() resolves to undefined");

  assert.equal(r.vector1, SIGN1, "official vector 1");
  assert.equal(r.vector2, SIGN2, "official vector 2");
  assert.equal(r.vector1Permuted, SIGN1, "input order does not matter");
  assert.equal(r.vector1WithNulls, SIGN1, "null and undefined are dropped");
  assert.equal(r.leadingZero, SIGN_LEADING_ZERO, "leading zeros kept");
  assert.equal(r.codePoint, SIGN_CODE_POINT, "code-point order, not UTF-16");
  assert.equal(r.codePointPermuted, SIGN_CODE_POINT);

  assert.equal(r.sign, SIGN1, "sign() = vector 1");
  assert.equal(r.signLeadingZero, SIGN_LEADING_ZERO);
  assert.equal(r.signExplicitVersion, SIGN1, "version defaults to 1.0.0");
  assert.equal(r.signVersion2, r.signValuesVersion2, "sign() uses the given version");
  assert.notEqual(r.signVersion2, SIGN1);
  assert.match(r.signVersion2, /^[0-9A-F]{40}$/);

  assert.deepEqual(r.verify, {
    upper: true, lower: true, mixed: true, lastCharChanged: false, otherValues: false,
    tooShort: false, nonHex: false, withNulls: true,
    signNotString: { thrown: false, value: false },
  });

  assert.equal(r.nonce.count, nonceCount);
  assert.deepEqual(r.nonce.malformed, [], "every nonce is 32 of [A-Za-z0-9]");
  assert.equal(r.nonce.unique, nonceCount, "no repeated nonce");
  assert.equal(r.nonce.alphabet, 62, "all 62 characters occur");
  // 61 degrees of freedom: mean 61, sd 11; 150 is ~6 sd (false alarm ~1e-9),
  // while a modulo-bias (byte % 62) gives about 2000 at 10 000 nonces.
  assert.ok(r.nonce.chi2 < 150, `nonce characters look biased: chi2 = ${r.nonce.chi2.toFixed(1)}`);

  for (const e of r.errors) {
    const where = `${e.label}: ${JSON.stringify(e)}`;
    assert.equal(e.thrown, true, where);
    assert.equal(e.code, e.expectedCode, where);
    assert.equal(e.name, "FaceIdError", where);
    assert.equal(e.isFaceIdError, true, `instanceof FaceIdError: ${where}`);
    assert.equal(e.isError, true, `instanceof Error: ${where}`);
    assert.ok(e.message.length > 10, where);
    assert.equal(e.leaks, false, `the ticket shows in the error: ${where}`);
  }
  assert.deepEqual(r.constructed, {
    name: "FaceIdError", code: "INVALID_VALUE", message: "made by hand", isError: true, isFaceIdError: true,
  });
}
