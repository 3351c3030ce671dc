"""A real SMTP server for tessera's SMTP tests (aiosmtpd).

Each accepted message is appended to --out as one JSON line {"from","to","subject","body"},
the body decoded from its transfer encoding as a mail client would show it. Prints
"ready <port>" once listening. Modes:
  --tls none|starttls|implicit   with --cert/--key for the TLS modes
  --auth USER:PASSWORD           requires AUTH (PLAIN/LOGIN) before MAIL
  --refuse                       answers every RCPT with 550
"""
import argparse
import email
import email.policy
import json
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out, refuse):
        self.out = out
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        line = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "body": message.get_body(("plain",)).get_content(),
        }
        with open(self.out, "a", encoding="utf8") as f:
            f.write(json.dumps(line) + "\n")
        return "250 Message accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd answers 535 itself (its default assumes we already did).
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tls", default="none", choices=["none", "starttls", "implicit"])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--refuse", action="store_true")
    a = p.parse_args()

    kwargs = {}
    context = None
    if a.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    if a.tls == "starttls":
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    elif a.tls == "implicit":
        kwargs["ssl_context"] = context
    if a.auth:
        user, password = a.auth.split(":", 1)
        kwargs["authenticator"] = authenticator(user, password)
        kwargs["auth_required"] = True
        # Implicit TLS is TLS from the first byte, which aiosmtpd does not count as such.
        kwargs["auth_require_tls"] = a.tls == "starttls"

    controller = Controller(
        Handler(a.out, a.refuse), hostname="127.0.0.1", port=a.port, **kwargs
    )
    controller.start()
    print(f"ready {a.port}", flush=True)
    try:
        # Until killed, or until the test that started us closes our stdin.
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
