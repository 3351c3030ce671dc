// Known-answer vectors from REAL Better Auth 1.7.25, pasted into the Rust unit tests of `crypto::*`.
//
// Run it outside the repository, so no node_modules lands in the tree:
//   mkdir -p /tmp/ba-vectors && cd /tmp/ba-vectors && npm init -y && npm install better-auth@1.7.25
//   node /work/main/crates/tessera-core/src/crypto/testdata/gen-vectors.mjs            # print vectors
//   node .../gen-vectors.mjs verify-password '<stored hash>' '<password>'             # Rust hash -> BA
//   node .../gen-vectors.mjs decrypt '<secret>' '<hex ciphertext>'                    # Rust cipher -> BA
//   node .../gen-vectors.mjs decrypt-versioned '2:new,1:old' '<legacy>' '$ba$2$<hex>'
//   node .../gen-vectors.mjs verify-jwt '<secret>' '<jwt>'
// Modules are resolved from the current directory (the scratch install), not from this file.
// Hashes, ciphertexts and JWTs are random or time-based: each run prints different but equally
// valid vectors, and the Rust tests pin down the ones printed once.

import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const req = createRequire(join(process.cwd(), "resolver.js"));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);
const loadBeside = (spec, file) =>
  import(pathToFileURL(join(req.resolve(spec), "..", file)).href);

const baCrypto = await load("better-auth/crypto");
const { createOTP } = await load("@better-auth/utils/otp");
const { createHMAC } = await load("@better-auth/utils/hmac");
const { base32 } = await load("@better-auth/utils/base32");
const { generateId } = await load("@better-auth/core/utils/id");
const { signCookieValue } = await loadBeside("better-call", "crypto.mjs");
const { jwtVerify } = await load("jose");

const versioned = (env, legacy) => {
  const keys = new Map();
  const entries = env.split(",").map((e) => e.trim().split(":"));
  for (const [v, s] of entries) keys.set(parseInt(v, 10), s);
  return { keys, currentVersion: parseInt(entries[0][0], 10), legacySecret: legacy || undefined };
};

const [mode, ...args] = process.argv.slice(2);
if (mode === "verify-password") {
  console.log(await baCrypto.verifyPassword({ hash: args[0], password: args[1] }));
  process.exit(0);
}
if (mode === "decrypt") {
  console.log(await baCrypto.symmetricDecrypt({ key: args[0], data: args[1] }));
  process.exit(0);
}
if (mode === "decrypt-versioned") {
  console.log(await baCrypto.symmetricDecrypt({ key: versioned(args[0], args[1]), data: args[2] }));
  process.exit(0);
}
if (mode === "verify-jwt") {
  const { payload } = await jwtVerify(args[1], new TextEncoder().encode(args[0]), { algorithms: ["HS256"] });
  console.log(JSON.stringify(payload));
  process.exit(0);
}

const out = {};

// §5.1 scrypt password hashes (NFKC inside hashPassword).
out.passwords = [];
for (const password of [
  "password",
  "correct horse battery staple",
  "caf\u00e9 \ufb01nance \u2460", // NFKC: é stays, ﬁ -> fi, ① -> 1
  "x".repeat(128),
]) {
  out.passwords.push({ password, hash: await baCrypto.hashPassword(password) });
}

// §5.2 symmetric encryption, plain secret and versioned secrets.
const secret = "tessera-vector-secret-0123456789abcdef";
out.symmetric = [];
for (const data of ["hello", "JBSWY3DPEHPK3PXP", '["WGHer-sebd4","a1b2c-D3e4F"]', "\u00e9\u{1F600}"]) {
  out.symmetric.push({ key: secret, data, ciphertext: await baCrypto.symmetricEncrypt({ key: secret, data }) });
}
const secretsEnv = "2:new-secret-version-two-0123456789,1:old-secret-version-one-0123456789";
const legacy = "legacy-secret-0123456789abcdef0123";
const cfg = versioned(secretsEnv, legacy);
out.versioned = {
  env: secretsEnv,
  legacy,
  current: await baCrypto.symmetricEncrypt({ key: cfg, data: "current" }),
  oldVersion: await baCrypto.symmetricEncrypt({
    key: { ...cfg, currentVersion: 1 },
    data: "old",
  }),
  legacyBare: await baCrypto.symmetricEncrypt({ key: legacy, data: "legacy" }),
};

// §4.2 signed cookie values, exactly as better-call writes them.
out.cookies = [];
for (const value of ["VcEAwdYFGtNu2t9pDyjwE8cBwVNo8i8x", "true", "2fa-abcdefghij0123456789", "a.b.c"]) {
  out.cookies.push({ secret, value, cookie: await signCookieValue(value, secret) });
}

// §3.3 trust-device HMAC: base64url without padding.
out.trustDevice = {
  secret,
  message: "user123!trust-device-abcdefghijabcdefghijabcdefghij12",
  hmac: await createHMAC("SHA-256", "base64urlnopad").sign(secret, "user123!trust-device-abcdefghijabcdefghijabcdefghij12"),
};

// §5.3 TOTP: HOTP values at fixed counters, for a generated (UTF-8) and an imported (base32) secret.
const utf8Secret = "abcdefghijklmnopqrstuvwxyz012345";
const b32Secret = base32.decode("JBSWY3DPEHPK3PXP");
out.totp = {
  utf8Secret,
  utf8Codes: await Promise.all([0, 1, 56666666, 56666667].map(async (c) => [c, await createOTP(utf8Secret).hotp(c)])),
  utf8Uri: createOTP(utf8Secret, { digits: 6, period: 30 }).url("Better Auth", "uma@example.com"),
  base32Secret: "JBSWY3DPEHPK3PXP",
  base32Codes: await Promise.all([0, 1, 56666666].map(async (c) => [c, await createOTP(b32Secret).hotp(c)])),
  base32Uri: createOTP(b32Secret, { digits: 6, period: 30 }).url("My App & Co", "a+b@example.com"),
};

// §3.2 email-verification JWT.
const jwtPayload = { email: "uma@example.com", userId: "user123" };
const token = await baCrypto.signJWT(jwtPayload, secret, 3600);
out.jwt = { secret, token, payload: JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()) };

// §1.5 generateId / generateRandomString over a fixed byte stream: byte i of the stream is (i * 7 + 3) % 256.
const realGetRandomValues = crypto.getRandomValues.bind(crypto);
let counter = 0;
crypto.getRandomValues = (buf) => {
  for (let i = 0; i < buf.length; i++) buf[i] = (counter++ * 7 + 3) % 256;
  return buf;
};
out.random = { stream: "byte i = (i * 7 + 3) % 256, fresh per call" };
counter = 0;
out.random.generateId32 = generateId(32);
counter = 0;
out.random.generateId64 = generateId(64);
counter = 0;
out.random.default40 = baCrypto.generateRandomString(40);
counter = 0;
out.random.digits6 = baCrypto.generateRandomString(6, "0-9");
counter = 0;
out.random.alnum10 = baCrypto.generateRandomString(10, "a-z", "0-9", "A-Z");
counter = 0;
out.random.digitsLower32 = baCrypto.generateRandomString(32, "0-9", "a-z");
crypto.getRandomValues = realGetRandomValues;

console.log(JSON.stringify(out, null, 2));
