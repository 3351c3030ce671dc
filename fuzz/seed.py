#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*.

Deterministic: the same files every run, built from the example Clerk export under
examples/clerk-export/ and from the known formats the code reads. Run from anywhere; then fuzz
(fuzz/run.sh) and minimise (cargo fuzz cmin) to grow the kept corpus.
"""
import csv
import io
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
EXAMPLE = ROOT / "examples" / "clerk-export"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"seed-{name}").write_bytes(data)


def csv_rows():
    text = (EXAMPLE / "exported_users.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def to_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def clerk_csv():
    header, rows = csv_rows()
    # Small chunks of the example (header + 4 rows): every edge case it holds, each fast to run.
    for i in range(0, len(rows), 4):
        write("clerk_csv", f"example-{i:03}", to_csv([header] + rows[i : i + 4]))
    write("clerk_csv", "header-only", to_csv([header]))
    write("clerk_csv", "bom-crlf", "\ufeff" + to_csv([header] + rows[:2]).replace("\n", "\r\n"))
    write("clerk_csv", "short-row", to_csv([header, rows[0][:3]]))


def legacy_json():
    header, rows = csv_rows()
    objects = [{k: (v or None) for k, v in zip(header, row)} for row in rows]
    for i in range(0, len(objects), 4):
        write("legacy_json", f"example-{i:03}", json.dumps(objects[i : i + 4], indent=1))
    write("legacy_json", "empty-array", "[]")
    write("legacy_json", "not-an-object", '[1, "x", null, {"id": "user_1"}]')


def snapshot():
    users = json.loads((EXAMPLE / "users.json").read_text())
    for i in range(0, min(len(users), 64), 4):
        write("snapshot", f"example-{i:03}", json.dumps(users[i : i + 4], indent=1))
    write("snapshot", "empty-array", "[]")
    write("snapshot", "truncated", json.dumps(users[:1])[:-20])


# (hasher, digest, password): one per format the verifier reads, most from the code's own tests.
DIGESTS = [
    ("bcrypt", "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.", "password"),
    ("bcrypt", "$2a$04$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.", "password"),
    ("bcrypt_peppered", "$2a$10$abcdefghijklmnopqrstuufsJoadzBoTkmhOCPpb8RqEoE8XJX6Ym$pepper123", "password"),
    ("bcrypt_sha256_django", "bcrypt_sha256$$2b$10$abcdefghijklmnopqrstuuKGtB3q5KWIAYoHKk7ixG3rOFapDVR7a", "password"),
    ("argon2i", "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "password"),
    ("argon2id", "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo", "password"),
    ("argon2id", "$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo", "password"),
    ("pbkdf2_sha256_django", "pbkdf2_sha256$10000$seasalt$p2Nf8SH5q1HFJUvFvVd4Nj71pVA5fI7cpL2WDbb86bc=", "password"),
    ("pbkdf2_sha256", "pbkdf2_sha256$100$c2FsdHNhbHRzYWx0c2FsdA==$/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=", "password"),
    ("pbkdf2_sha1", "pbkdf2_sha1$100$a1b2c3d4e5f60718$2bfadb94a49cb74905004438ffad5ce1e38753f3$20", "password"),
    ("pbkdf2_sha512", "pbkdf2_sha512$100$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751aa817f2be973af02a84a0d179449cce58323b44a36ee85234f83a7cc3feb7c35", "password"),
    ("pbkdf2_sha512_hex", "pbkdf2_sha512_hex$100$00112233445566778899aabbccddeeff$8aad5d7d1163900c9f11bc74fbbc2cb8076650cb798c50f1373c7559a267fc8b8fd2c4cac24589a67c4140224919bf0f5df042dbaff132fdc06afdd7e6818489", "password"),
    ("scrypt_firebase", "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14", "user1password"),
    ("scrypt_firebase", "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$1$4", "user1password"),
    ("scrypt_werkzeug", "scrypt:32768:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7ae4d18f2072e865b55f776f95dd7d1436e0ed29789c8be8dc1f6288e21cd7f851", "password"),
    ("scrypt_werkzeug", "scrypt:16:4:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7ae4d18f2072e865b55f776f95dd7d1436e0ed29789c8be8dc1f6288e21cd7f851", "password"),
    ("phpass", "$P$9abcdefghreUCnbbQX76dJT2aHvsT6.", "password"),
    ("md5_phpass", "$H$7abcdefghreUCnbbQX76dJT2aHvsT6.", "password"),
    ("ldap_ssha", "{SSHA}2D7DXcHaxkWxjlTTFhTzbi4Z/sdhYmNk", "password"),
    ("md5", "5f4dcc3b5aa765d61d8327deb882cf99", "password"),
    ("md5_salted", "NaCl$62d19f7e7ddcb5946728776d25e410ed", "password"),
    ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "test"),
    ("sha256_salted", "a$b$097c561d09e5fedf01076ec991fafb6323cc7bd7536655d0a29802dfc972241a", "password"),
    ("sha512_symfony", "sha512_symfony$5$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==", "password"),
    ("better_auth", "de32d4ab03944e50ab0d1c23f14c3244:d2c62e303418a14c606535f4d83c8132d3038795ccd35d465da040ec977d0b1cb3dba7a95ead51d3a092020727c4514d624e57261cf2d70f7d736f171729aa78", "password"),
    # Hostile costs: each must be refused before any work.
    ("scrypt_werkzeug", "scrypt:1099511627776:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369", "x"),
    ("scrypt_werkzeug", "scrypt:2147483648:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369", "x"),
    ("scrypt_firebase", "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$4294967295$40", "x"),
    ("argon2id", "$argon2id$v=19$m=4294967295,t=4294967295,p=255$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo", "x"),
    ("bcrypt", "$2a$99$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.", "x"),
    ("pbkdf2_sha512", "pbkdf2_sha512$4294967295$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751", "x"),
    ("phpass", "$P$zabcdefghreUCnbbQX76dJT2aHvsT6.", "x"),
]


def password_digest():
    for i, (hasher, digest, password) in enumerate(DIGESTS):
        write("password_digest", f"{i:02}-{hasher}", f"{hasher}\n{digest}\n{password}")


def cookie():
    write("cookie", "session", "better-auth.session_token=VcEAwdYFGtNu2t9pDyjwE8cBwVNo8i8x.8z5y5ijZNePfVJdrsZrnnQun0DuVBXKh1FifgNP8RFk%3D")
    write("cookie", "several", 'other=1; better-auth.dont_remember="true.oXyyAy8Ydb5tbG8%2FtirBT7L3wZhJ3Vdw%2F06WAUWotUg%3D"; better-auth.session_token=a.b.c.JgrOCE%2FIhBvmB5vDZwYP7tqhd%2B4poSDXarGRNb31vns%3D')
    write("cookie", "two-headers", "a=1\nbetter-auth.session_token=%E0%A4%A; better-auth.oauth_state=00ff")
    write("cookie", "oauth-state", "better-auth.oauth_state=" + "ab" * 48)
    write("cookie", "empty-values", "better-auth.session_token=; =; ;;=x")


def request_body():
    write("request_body", "json", 'application/json\n{"email":"a@example.com","password":"p","rememberMe":true,"callbackURL":"/d"}')
    write("request_body", "json-charset", "application/json; charset=utf-8\n{\"email\":1}")
    write("request_body", "no-type", "\n[1,2]")
    write("request_body", "plus-json", "application/vnd.api+json\n{\"a\":{\"b\":[null,1e400]}}")
    write("request_body", "form", "application/x-www-form-urlencoded\nemail=a%40example.com&password=p&rememberMe=true&email=dup")
    write("request_body", "form-broken", "Application/X-WWW-Form-Urlencoded; x=y\n%zz=%&&=&a+b=c%2")
    write("request_body", "text", "text/plain\nhello")
    write("request_body", "whitespace", "application/json\n \t\r\n")


def redirect_target():
    for i, url in enumerate([
        "/dashboard",
        "/dashboard?x=1#y",
        "http://localhost:3000/callback",
        "https://app.example.com/x",
        "https://shop.trusted.example/",
        "myapp://app/done",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "https://evil.example@app.example.com",
        "/%2f%2fevil.example",
        "HTTPS://APP.EXAMPLE.COM:443/",
    ]):
        write("redirect_target", f"{i:02}", url)


for seed in (clerk_csv, legacy_json, snapshot, password_digest, cookie, request_body, redirect_target):
    seed()
