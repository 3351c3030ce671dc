//! Clean-ups the Dashboard export needs before a cell means what it says (contract §1.3).

/// Characters that make Clerk's writer put a TAB in front of a value (spreadsheet formula
/// injection guard, `clerk_go pkg/csvsafe`), plus the controls its CLI also unguards.
const GUARDED: [char; 11] = ['=', '+', '-', '@', '＝', '＋', '－', '＠', '\t', '\r', '\n'];

/// Removes the single TAB Clerk adds in front of `=`, `+`, `-`, `@` (and their fullwidth forms),
/// so that `"\t+15551234567"` and `"+15551234567"` are the same phone. Any other leading TAB is
/// data and stays.
pub fn unguard(value: &str) -> &str {
    match value.strip_prefix('\t') {
        Some(rest) if rest.starts_with(GUARDED) => rest,
        _ => value,
    }
}

/// An unguarded, trimmed cell; `None` when nothing is left.
pub fn text(value: &str) -> Option<String> {
    let value = unguard(value).trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Splits a multi-valued cell (columns 7–10, legacy `email_addresses`). Clerk never documented
/// the separator: its own tools split on `,` or `|` and accept a JSON array of strings, so we do
/// too. Items are unguarded and trimmed; empty items and repeats are dropped, keeping first order.
pub fn list(value: &str, same: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let value = unguard(value).trim();
    let items: Vec<String> = if value.starts_with('[') {
        match serde_json::from_str::<Vec<String>>(value) {
            Ok(items) => items,
            Err(_) => split(value),
        }
    } else {
        split(value)
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = unguard(item.trim()).trim();
        if !item.is_empty() && !out.iter().any(|seen| same(seen, item)) {
            out.push(item.to_owned());
        }
    }
    out
}

fn split(value: &str) -> Vec<String> {
    value.split([',', '|']).map(str::to_owned).collect()
}

/// Emails compare without case: Better Auth stores them lowercased.
pub fn same_email(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Phones compare on their digits, as Clerk's CLI dedupes them ("+1 555-0100" = "+15550100").
pub fn same_phone(a: &str, b: &str) -> bool {
    phone_key(a) == phone_key(b)
}

/// The digits of a phone number: the key under which two spellings of a number are one number.
pub fn phone_key(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn removes_one_guard_tab_before_formula_characters() {
        assert_eq!(unguard("\t+15551234567"), "+15551234567");
        assert_eq!(unguard("\t-dash"), "-dash");
        assert_eq!(unguard("\t=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguard("\t@handle"), "@handle");
        assert_eq!(unguard("\t＋81"), "＋81");
        assert_eq!(unguard("\t\tx"), "\tx");
    }

    #[test]
    fn keeps_a_tab_that_is_not_a_guard() {
        assert_eq!(unguard("\tAnne"), "\tAnne");
        assert_eq!(unguard("+15551234567"), "+15551234567");
        assert_eq!(text("\tAnne"), Some("Anne".to_owned()));
    }

    #[test]
    fn splits_lists_on_comma_and_pipe() {
        let expected = vec!["a@x.dev".to_owned(), "b@x.dev".to_owned()];
        assert_eq!(list("a@x.dev,b@x.dev", same_email), expected);
        assert_eq!(list("a@x.dev|b@x.dev", same_email), expected);
        assert_eq!(list(" a@x.dev , | b@x.dev ,", same_email), expected);
        assert_eq!(list(r#"["a@x.dev","b@x.dev"]"#, same_email), expected);
        assert!(list("", same_email).is_empty());
    }

    #[test]
    fn dedupes_emails_without_case_and_phones_without_punctuation() {
        assert_eq!(list("A@x.dev,a@X.dev", same_email), vec!["A@x.dev"]);
        assert_eq!(
            list("\t+15550100|+1 555-0100", same_phone),
            vec!["+15550100"]
        );
    }
}
