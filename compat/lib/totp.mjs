// RFC 4226 / RFC 6238 written out independently of the server under test: the codes a phone's
// authenticator app would show for an otpauth:// URI. Checked against the RFC's own test vectors
// in plugin-two-factor.test.mjs, so a wrong code here cannot pass for a wrong server.
import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, padding optional, case-insensitive. */
export function base32Decode(text) {
  const clean = text.replace(/=+$/, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP with HMAC-SHA1 (what authenticator apps use). */
export function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = mac[mac.length - 1] & 15;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The RFC 6238 time step of an instant. */
export function timeStep(atMs = Date.now(), period = 30) {
  return Math.floor(atMs / 1000 / period);
}

/**
 * Parses `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=…&period=…`.
 * @returns {{label: string, labelIssuer: string, account: string, secret: string, key: Buffer, issuer: string|null, digits: number, period: number, params: string[]}}
 */
export function parseOtpauthUri(uri) {
  const match = /^otpauth:\/\/totp\/([^?]*)\?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an otpauth TOTP URI: ${uri}`);
  const label = decodeURIComponent(match[1]);
  const colon = label.indexOf(":");
  const query = new URLSearchParams(match[2]);
  const secret = query.get("secret") ?? "";
  return {
    label,
    labelIssuer: colon < 0 ? "" : label.slice(0, colon),
    account: colon < 0 ? label : label.slice(colon + 1),
    secret,
    key: base32Decode(secret),
    issuer: query.get("issuer"),
    digits: Number(query.get("digits") ?? 6),
    period: Number(query.get("period") ?? 30),
    params: [...query.keys()],
  };
}

/**
 * An authenticator app holding one secret. `next()` never hands out a time step twice, so the
 * suite never depends on a server accepting a replayed code (Tessera refuses replays, Better Auth
 * does not): it picks the earliest unused step inside the server's ±1 window and waits for the
 * clock when the window is used up.
 */
export class Authenticator {
  constructor(totpURI) {
    this.uri = totpURI;
    this.parsed = parseOtpauthUri(totpURI);
    this.lastStep = -Infinity;
    this.lastCode = null;
  }

  codeAt(step) {
    return hotp(this.parsed.key, step, this.parsed.digits);
  }

  step(atMs = Date.now()) {
    return timeStep(atMs, this.parsed.period);
  }

  /**
   * A fresh code: never a step used before by this authenticator. The previous step is used too
   * while the clock is safely inside the current one (the server accepts it), which gives three
   * codes per user before anything has to wait.
   */
  async next() {
    const now = Date.now();
    const current = this.step(now);
    const msLeftInStep = (current + 1) * this.parsed.period * 1000 - now;
    const earliest = msLeftInStep > 3000 ? current - 1 : current;
    let step = Math.max(this.lastStep + 1, earliest);
    if (step > current + 1) {
      // The server accepts one step ahead of its clock; further ahead means waiting.
      while (step > this.step() + 1) await sleep(250);
      step = Math.max(step, this.step());
    }
    this.lastStep = step;
    this.lastCode = this.codeAt(step);
    return this.lastCode;
  }

  /** A code that was right long enough ago to be outside any ±1 window, and equal to no current one. */
  expired() {
    const now = this.step();
    const current = new Set([-1, 0, 1, 2].map((d) => this.codeAt(now + d)));
    for (let back = 3; back < 20; back++) {
      const code = this.codeAt(now - back);
      if (!current.has(code)) return code;
    }
    throw new Error("no distinct expired code found");
  }

  /** A well-formed code equal to none the server could accept now. */
  wrong() {
    const now = this.step();
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => this.codeAt(now + d)));
    for (let n = 0; ; n++) {
      const code = String((Number(this.codeAt(now)) + 111_111 * (n + 1)) % 1_000_000).padStart(6, "0");
      if (!valid.has(code)) return code;
    }
  }
}
