//! JSON written straight into a string, for answers large enough that building a
//! `serde_json::Value` tree first, serializing it and dropping it would cost more than the data
//! (list-members' page of 100 members with their users). Keys are written in the order given.

/// An object being written; `finish` closes it.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    pub fn open(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        string(self.out, key);
        self.out.push(b':');
    }

    /// A string, or `null`.
    pub fn text(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        self.key(key);
        match value {
            Some(v) => string(self.out, v),
            None => self.out.extend_from_slice(b"null"),
        }
        self
    }

    pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        self.out.extend_from_slice(value.to_string().as_bytes());
        self
    }

    /// A nested value written by `write` (which must write exactly one JSON value).
    pub fn with(&mut self, key: &str, write: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.key(key);
        write(self.out);
        self
    }

    pub fn finish(&mut self) {
        self.out.push(b'}');
    }
}

/// A JSON string literal, escaped as `serde_json` escapes it.
pub fn string(out: &mut Vec<u8>, value: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn it_writes_what_serde_json_would() {
        let mut out = Vec::new();
        Object::open(&mut out)
            .text("a", Some("x\"y\n\u{1}"))
            .text("b", None)
            .number("n", 7)
            .with("list", |o| o.extend_from_slice(b"[]"))
            .finish();
        let expected = serde_json::json!({
            "a": "x\"y\n\u{1}", "b": null, "n": 7, "list": []
        });
        assert_eq!(String::from_utf8(out).unwrap(), expected.to_string());
    }
}
