//! Plain-text tables for the terminal: columns as wide as their widest cell,
//! and the number formats the tables share (readable numbers, US dollars).

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table whose column widths come from its contents, so long service
/// names or large sums never push a column out of line.
#[derive(Clone, Debug)]
pub struct Columns {
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
    indent: usize,
}

impl Columns {
    /// A table with a header row; `align` gives each column's alignment.
    pub fn new(header: &[&str], align: &[Align]) -> Self {
        Columns {
            align: align.to_vec(),
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
            indent: 0,
        }
    }

    /// Indents every line by `n` spaces.
    pub fn indent(mut self, n: usize) -> Self {
        self.indent = n;
        self
    }

    /// Adds a row; missing cells are blank, extra cells are kept (as left-aligned).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, one line per row, no trailing spaces.
    pub fn render(&self) -> String {
        let n = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut width = vec![0usize; n];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in &self.rows {
            let mut line = " ".repeat(self.indent);
            for (i, w) in width.iter().enumerate() {
                let cell = r.get(i).map_or("", String::as_str);
                let pad = w - cell.chars().count();
                if i > 0 {
                    line.push_str("  ");
                }
                match self.align.get(i).copied().unwrap_or(Align::Left) {
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(cell);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A number for a table: 4 decimals below 1,000, whole numbers up to a
/// billion, scientific notation outside [0.001, 1e9).
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e9).contains(&a) {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

/// US dollars with cents and thousands separators, the sign before the
/// dollar sign: `$1,234.50`, `-$16.83`; amounts below a cent keep their
/// significant digits (`$0.00042`).
pub fn usd(v: f64) -> String {
    let v = v + 0.0; // no "-0"
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a >= 0.005 || a == 0.0 {
        let cents = format!("{a:.2}");
        let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
        format!("{sign}${}.{frac}", thousands(whole))
    } else {
        let digits = format!("{a:.2e}").parse::<f64>().unwrap_or(a);
        format!("{sign}${digits}")
    }
}

/// Inserts a comma every three digits from the right.
fn thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut t = Columns::new(&["stage", "USD"], &[Align::Left, Align::Right]);
        t.row(vec!["a very long stage name".into(), usd(5.0)]);
        t.row(vec!["s".into(), usd(155_079.0)]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        // Right-aligned amounts end in the same column.
        let ends: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert_eq!(ends[1], ends[2], "{out}");
        assert!(lines[2].ends_with("$155,079.00"), "{out}");
        assert!(!out.lines().any(|l| l.ends_with(' ')));
    }

    #[test]
    fn dollars_carry_separators_and_a_leading_sign() {
        assert_eq!(usd(2920.0), "$2,920.00");
        assert_eq!(usd(-16.83), "-$16.83");
        assert_eq!(usd(1_234_567.891), "$1,234,567.89");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(-0.0), "$0.00");
        assert_eq!(usd(0.000_42), "$0.00042");
        assert_eq!(usd(999.999), "$1,000.00");
    }

    #[test]
    fn numbers_switch_to_scientific_outside_the_readable_range() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(12.5), "12.5000");
        assert_eq!(num(12_345.6), "12346");
        assert_eq!(num(2.5e10), "2.500e10");
        assert_eq!(num(-1e-5), "-1.000e-5");
    }
}
