//! What each message says in an email: a subject and a plain-text body carrying the same link or
//! code the outbox line carries, so a person can finish the flow from their mail.

use super::Message;

pub struct Rendered {
    pub subject: String,
    pub body: String,
}

fn field<'a>(message: &'a Message, name: &str) -> &'a str {
    message
        .fields
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

const IGNORE: &str = "If you did not ask for this, you can ignore this message.";

pub fn render(app_name: &str, message: &Message) -> Rendered {
    let url = field(message, "url");
    let code = field(message, "code");
    let (subject, body) = match message.kind {
        "verify-email" => (
            format!("Verify your email address for {app_name}"),
            format!("Open this link to verify your email address:\n\n{url}\n\n{IGNORE}\n"),
        ),
        "reset-password" => (
            format!("Reset your {app_name} password"),
            format!("Open this link to choose a new password:\n\n{url}\n\n{IGNORE}\n"),
        ),
        "change-email-confirmation" => (
            format!("Confirm the change of your {app_name} email address"),
            format!(
                "Someone asked to change the email address of your account to {}.\n\
                 Open this link to approve the change:\n\n{url}\n\n{IGNORE}\n",
                field(message, "newEmail")
            ),
        ),
        "delete-account" => (
            format!("Confirm the deletion of your {app_name} account"),
            format!(
                "Open this link, signed in, to delete your account for good:\n\n{url}\n\n{IGNORE}\n"
            ),
        ),
        "two-factor-otp" => (
            format!("Your {app_name} sign-in code"),
            format!("Your sign-in code is {code}\n\n{IGNORE}\n"),
        ),
        "magic-link" => (
            format!("Sign in to {app_name}"),
            format!("Open this link to sign in:\n\n{url}\n\n{IGNORE}\n"),
        ),
        "email-otp-sign-in" => (
            format!("Your {app_name} sign-in code"),
            format!("Your sign-in code is {code}\n\n{IGNORE}\n"),
        ),
        "email-otp-email-verification" => (
            format!("Verify your email address for {app_name}"),
            format!("Your verification code is {code}\n\n{IGNORE}\n"),
        ),
        "email-otp-forget-password" => (
            format!("Reset your {app_name} password"),
            format!("Your password reset code is {code}\n\n{IGNORE}\n"),
        ),
        "email-otp-change-email" => (
            format!("Confirm your new email address for {app_name}"),
            format!("Your code to make this your account's email address is {code}\n\n{IGNORE}\n"),
        ),
        "organization-invitation" => {
            let organization = field(message, "organizationName");
            let inviter = field(message, "inviterEmail");
            let how = if url.is_empty() {
                format!(
                    "Your invitation id is {}; sign in and accept it in the app.",
                    field(message, "invitationId")
                )
            } else {
                format!("Open this link, signed in with this address, to accept:\n\n{url}")
            };
            (
                format!("{inviter} invited you to {organization} on {app_name}"),
                format!(
                    "{inviter} invited you to join {organization} as {}.\n{how}\n\n{IGNORE}\n",
                    field(message, "role")
                ),
            )
        }
        other => (
            format!("{app_name}: {other}"),
            if url.is_empty() {
                format!("Your code is {code}\n\n{IGNORE}\n")
            } else {
                format!("{url}\n\n{IGNORE}\n")
            },
        ),
    };
    Rendered { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_names_the_organization_and_carries_its_link_or_id() {
        let base = Message::new("organization-invitation", "bob@example.com")
            .field("invitationId", "inv-1")
            .field("organizationName", "Acme")
            .field("role", "admin")
            .field("inviterEmail", "ada@example.com");
        let plain = render("Tessera", &base);
        assert_eq!(
            plain.subject,
            "ada@example.com invited you to Acme on Tessera"
        );
        assert!(plain.body.contains("as admin") && plain.body.contains("inv-1"));
        let linked = render(
            "Tessera",
            &base.field("url", "https://app.example.com/join/inv-1"),
        );
        assert!(linked.body.contains("https://app.example.com/join/inv-1"));
    }

    #[test]
    fn every_email_carries_its_link_or_code() {
        let link = "http://localhost:3000/api/auth/verify-email?token=a.b.c&callbackURL=%2F";
        for kind in [
            "verify-email",
            "reset-password",
            "change-email-confirmation",
            "delete-account",
            "magic-link",
        ] {
            let m = Message::new(kind, "a@example.com").field("url", link);
            let r = render("Tessera", &m);
            assert!(r.body.contains(link), "{kind}");
            assert!(r.subject.contains("Tessera"), "{kind}");
        }
        for kind in [
            "two-factor-otp",
            "email-otp-sign-in",
            "email-otp-email-verification",
            "email-otp-forget-password",
            "email-otp-change-email",
        ] {
            let otp = Message::new(kind, "a@example.com").field("code", "123456");
            let r = render("Tessera", &otp);
            assert!(r.body.contains("123456"), "{kind}");
            assert!(
                r.subject.contains("Tessera") && !r.subject.contains(kind),
                "{kind}"
            );
        }
    }
}
