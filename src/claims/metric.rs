//! Reading a figure out of a run: a path into the run's JSON report, or a
//! small left-to-right expression of paths and numbers.
//!
//! `end_to_end.latency_s.p95`, `stages.spark.extra.batch_s_mean`,
//! `end_to_end.delivered_duplicates / conservation.generated`,
//! `cost.per_year_usd`. Operators are `+ - * /`, separated by spaces and
//! applied left to right (no precedence: claims stay readable).

use serde_json::Value;

/// The value at a dotted path (`a.b.c`), as a number. Booleans count as 0/1.
pub fn lookup(report: &Value, path: &str) -> Result<f64, String> {
    let mut v = report;
    for (i, seg) in path.split('.').enumerate() {
        v = match v {
            Value::Object(m) => m.get(seg).ok_or_else(|| {
                let at = path.split('.').take(i).collect::<Vec<_>>().join(".");
                let keys: Vec<&str> = m.keys().map(String::as_str).take(12).collect();
                format!("`{path}`: no key `{seg}` under `{at}` (there is: {})", keys.join(", "))
            })?,
            Value::Array(a) => seg
                .parse::<usize>()
                .ok()
                .and_then(|k| a.get(k))
                .ok_or_else(|| format!("`{path}`: `{seg}` is not an index of the list"))?,
            _ => return Err(format!("`{path}`: `{seg}` goes past a value")),
        };
    }
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("`{path}` is not a finite number")),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Null => Err(format!("`{path}` is empty in this run")),
        _ => Err(format!("`{path}` is not a number")),
    }
}

/// Evaluates `expr` (paths, numbers and `+ - * /`, left to right) on a report.
pub fn eval(report: &Value, expr: &str) -> Result<f64, String> {
    let mut tokens = expr.split_whitespace();
    let term = |t: &str| -> Result<f64, String> {
        match t.parse::<f64>() {
            Ok(x) => Ok(x),
            Err(_) => lookup(report, t),
        }
    };
    let mut acc = term(tokens.next().ok_or_else(|| "empty metric".to_string())?)?;
    while let Some(op) = tokens.next() {
        let rhs = term(
            tokens
                .next()
                .ok_or_else(|| format!("`{expr}`: `{op}` needs a right-hand side"))?,
        )?;
        acc = match op {
            "+" => acc + rhs,
            "-" => acc - rhs,
            "*" => acc * rhs,
            "/" => {
                if rhs == 0.0 {
                    return Err(format!("`{expr}`: division by zero"));
                }
                acc / rhs
            }
            _ => return Err(format!("`{expr}`: unknown operator `{op}` (use + - * /)")),
        };
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_left_to_right_arithmetic() {
        let v = serde_json::json!({"a": {"b": 6.0, "c": [1, 2]}, "ok": true});
        assert_eq!(lookup(&v, "a.b"), Ok(6.0));
        assert_eq!(lookup(&v, "a.c.1"), Ok(2.0));
        assert_eq!(lookup(&v, "ok"), Ok(1.0));
        assert_eq!(eval(&v, "a.b / a.c.1 + 1"), Ok(4.0));
        assert_eq!(eval(&v, "a.b * 0.5"), Ok(3.0));
        assert!(lookup(&v, "a.x").unwrap_err().contains("no key `x`"));
        assert!(eval(&v, "a.b / 0").is_err());
        assert!(eval(&v, "a.b %").is_err());
    }
}
