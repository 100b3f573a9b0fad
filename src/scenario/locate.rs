//! Finding the line of a field in the original text, for errors found after
//! parsing (a link to a missing stage, a cycle). Works on TOML and JSON as
//! people write them: the element is found by its `id`, then the key after it.

/// The 1-based line of `key` inside the element whose id is `id`, or of the
/// element's id line when the key is not found. `None` if the id is absent.
pub fn line_of(text: &str, id: &str, key: Option<&str>) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let quoted = format!("\"{id}\"");
    let id_line = lines.iter().position(|l| {
        let t = l.trim_start();
        (t.starts_with("id") || t.starts_with("\"id\"") || t.contains("\"id\":") || t.contains(" id ="))
            && (t.contains(&quoted) || t.contains(&format!("'{id}'")))
    })?;
    let Some(key) = key else {
        return Some(id_line + 1);
    };
    // The element's extent: back to its header and forward to the next header or id.
    let is_boundary = |l: &str| {
        let t = l.trim_start();
        t.starts_with("[[") || t.starts_with("id ") || t.starts_with("id=") || t.starts_with("\"id\"")
    };
    let start = (0..=id_line)
        .rev()
        .find(|&i| lines[i].trim_start().starts_with("[[") || i == 0 || lines[i].trim_start().starts_with('{'))
        .unwrap_or(0);
    let end = (id_line + 1..lines.len())
        .find(|&i| is_boundary(lines[i]))
        .unwrap_or(lines.len());
    let matches_key = |l: &str| {
        let t = l.trim_start().trim_start_matches('{').trim_start();
        t.starts_with(&format!("{key} "))
            || t.starts_with(&format!("{key}="))
            || t.starts_with(&format!("\"{key}\""))
            || l.contains(&format!(", {key} ="))
            || l.contains(&format!("\"{key}\":"))
    };
    (start..end)
        .find(|&i| matches_key(lines[i]))
        .map(|i| i + 1)
        .or(Some(id_line + 1))
}

/// The 1-based line of a top-level key.
pub fn top_level_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(&format!("{key} "))
                || t.starts_with(&format!("{key}="))
                || t.starts_with(&format!("\"{key}\""))
        })
        .map(|i| i + 1)
}

/// Converts a byte offset to a 1-based (line, column).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |p| before[p + 1..].chars().count())
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_inside_the_right_toml_table() {
        let t = "name = \"x\"\n\n[[stage]]\nid = \"a\"\nto = \"b\"\n\n[[stage]]\nid = \"b\"\nkind = \"sink\"\nto = \"zz\"\n";
        assert_eq!(line_of(t, "b", Some("to")), Some(10));
        assert_eq!(line_of(t, "a", Some("to")), Some(5));
        assert_eq!(line_of(t, "b", Some("servers")), Some(8));
        assert_eq!(top_level_line(t, "name"), Some(1));
    }

    #[test]
    fn finds_keys_in_json() {
        let j = "{\n \"stage\": [\n  {\n   \"id\": \"a\",\n   \"to\": \"q\"\n  },\n  {\n   \"id\": \"b\",\n   \"to\": \"c\"\n  }\n ]\n}";
        assert_eq!(line_of(j, "b", Some("to")), Some(9));
    }
}
