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

/// The 1-based line of entry `n` (from 0) of the array under `key` inside
/// the element whose id is `id` (inline tables in TOML, objects in JSON),
/// or of the key itself when the entry is not found.
pub fn line_of_entry(text: &str, id: &str, key: &str, n: usize) -> Option<usize> {
    let key_line = line_of(text, id, Some(key))?;
    let lines: Vec<&str> = text.lines().collect();
    let first = lines[key_line - 1];
    let Some(at) = first.find(key) else {
        return Some(key_line);
    };
    let (mut depth, mut seen, mut in_str) = (0usize, 0usize, false);
    for (li, line) in lines.iter().enumerate().skip(key_line - 1) {
        let from = if li == key_line - 1 { at + key.len() } else { 0 };
        let mut prev = ' ';
        for ch in line[from..].chars() {
            match ch {
                '"' if prev != '\\' => in_str = !in_str,
                _ if in_str => {}
                '#' => break,
                '[' | '{' => {
                    if depth == 1 && ch == '{' {
                        if seen == n {
                            return Some(li + 1);
                        }
                        seen += 1;
                    }
                    depth += 1;
                }
                ']' | '}' => {
                    if depth <= 1 {
                        return Some(key_line);
                    }
                    depth -= 1;
                }
                _ => {}
            }
            prev = ch;
        }
    }
    Some(key_line)
}

/// The 1-based line of a field path's key inside the element `id`: a path
/// like `routes[2].kind` is the line of the array's third entry.
pub fn line_of_path(text: &str, id: &str, path: Option<&str>) -> Option<usize> {
    let Some(path) = path else {
        return line_of(text, id, None);
    };
    match path.split_once('[') {
        Some((key, rest)) => match rest.split(']').next().and_then(|n| n.parse().ok()) {
            Some(n) => line_of_entry(text, id, key, n),
            None => line_of(text, id, Some(key)),
        },
        None => line_of(text, id, Some(path.split('.').next().unwrap_or(path))),
    }
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
    fn finds_the_line_of_an_array_entry() {
        let t = "[[stage]]\nid = \"r\"\nroutes = [\n  { kind = \"a\", to = \"x\" },  # [first]\n  { kind = \"b\", to = \"y\" },\n]\n";
        assert_eq!(line_of_path(t, "r", Some("routes[1].kind")), Some(5));
        assert_eq!(line_of_path(t, "r", Some("routes[0]")), Some(4));
        assert_eq!(line_of_path(t, "r", Some("routes[7]")), Some(3));
        let one =
            "[[source]]\nid = \"s\"\nkinds = [{ name = \"a\", size = { dist = \"uniform\" } }, { name = \"b\" }]\n";
        assert_eq!(line_of_path(one, "s", Some("kinds[1].name")), Some(3));
    }

    #[test]
    fn finds_keys_in_json() {
        let j = "{\n \"stage\": [\n  {\n   \"id\": \"a\",\n   \"to\": \"q\"\n  },\n  {\n   \"id\": \"b\",\n   \"to\": \"c\"\n  }\n ]\n}";
        assert_eq!(line_of(j, "b", Some("to")), Some(9));
    }
}
