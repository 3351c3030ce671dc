//! The email-otp plugin as data: its error codes (Better Auth 1.7.25's `EMAIL_OTP_ERROR_CODES`)
//! and the kinds of code it sends. It adds no column.

use super::ErrorCode;

pub const OTP_EXPIRED: ErrorCode = ErrorCode::new("OTP_EXPIRED", "OTP expired");
pub const INVALID_OTP: ErrorCode = ErrorCode::new("INVALID_OTP", "Invalid OTP");
pub const TOO_MANY_ATTEMPTS: ErrorCode = ErrorCode::new("TOO_MANY_ATTEMPTS", "Too many attempts");

/// Every error code above, in one list (Better Auth's `$ERROR_CODES` object).
pub const ERROR_CODES: &[ErrorCode] = &[OTP_EXPIRED, INVALID_OTP, TOO_MANY_ATTEMPTS];

/// What a code is for: Better Auth's `type`, which is also the head of the code's
/// `verification.identifier` (`<type>-otp-<email>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpType {
    EmailVerification,
    SignIn,
    ForgetPassword,
    ChangeEmail,
}

impl OtpType {
    pub fn parse(s: &str) -> Option<OtpType> {
        Some(match s {
            "email-verification" => OtpType::EmailVerification,
            "sign-in" => OtpType::SignIn,
            "forget-password" => OtpType::ForgetPassword,
            "change-email" => OtpType::ChangeEmail,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OtpType::EmailVerification => "email-verification",
            OtpType::SignIn => "sign-in",
            OtpType::ForgetPassword => "forget-password",
            OtpType::ChangeEmail => "change-email",
        }
    }

    /// The delivery's message type, one template each.
    pub fn message_kind(self) -> &'static str {
        match self {
            OtpType::EmailVerification => "email-otp-email-verification",
            OtpType::SignIn => "email-otp-sign-in",
            OtpType::ForgetPassword => "email-otp-forget-password",
            OtpType::ChangeEmail => "email-otp-change-email",
        }
    }

    /// `verification.identifier` of a code of this type for `subject` (a lower-cased address;
    /// for change-email, `<userId>:<new address>`).
    pub fn identifier(self, subject: &str) -> String {
        format!("{}-otp-{subject}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_better_auths() {
        assert_eq!(
            OtpType::SignIn.identifier("ada@example.com"),
            "sign-in-otp-ada@example.com"
        );
        assert_eq!(
            OtpType::ChangeEmail.identifier("u1:new@example.com"),
            "change-email-otp-u1:new@example.com"
        );
        for t in [
            "email-verification",
            "sign-in",
            "forget-password",
            "change-email",
        ] {
            assert_eq!(OtpType::parse(t).map(OtpType::as_str), Some(t));
        }
        assert_eq!(OtpType::parse("magic"), None);
    }
}
