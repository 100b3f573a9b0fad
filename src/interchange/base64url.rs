//! Base64url without padding (RFC 4648 §5): the alphabet safe in URL
//! fragments.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes bytes.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' | b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes text (also accepting `+`, `/` and trailing `=`).
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim_end_matches('=').as_bytes();
    if t.len() % 4 == 1 {
        return Err(format!("{} characters cannot be base64", t.len()));
    }
    let mut out = Vec::with_capacity(t.len() * 3 / 4);
    for chunk in t.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or_else(|| format!("`{}` is not a base64url character", c as char))?;
            n |= v << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        // Canonical form only: the unused low bits of a short last group
        // must be zero, so every changed character changes the bytes.
        if bytes < 3 && n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return Err("its last character is not canonical base64url".into());
        }
        for i in 0..bytes {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), enc);
            assert_eq!(decode(enc).unwrap(), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert!(decode("Zh").is_err(), "non-zero padding bits");
        assert!(encode(&[0xfb, 0xff]).contains(['-', '_']));
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(decode("Zm9v!").is_err());
        assert!(decode("Z").is_err());
    }
}
