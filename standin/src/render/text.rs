//! `txt` and `utxt` output: the lines in a box, like PlantUML's text renderings.

/// ASCII box (`+---+` / `| x |`); non-ASCII and control characters become `?`.
pub fn ascii_box(lines: &[String]) -> String {
    let lines: Vec<String> = lines
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| {
                    if c.is_ascii() && !c.is_ascii_control() {
                        c
                    } else {
                        '?'
                    }
                })
                .collect()
        })
        .collect();
    boxed(&lines, ['+', '-', '+', '|', '+', '+'])
}

/// Unicode box (`┌───┐` / `│ x │` / `└───┘`); control characters become `?`.
pub fn unicode_box(lines: &[String]) -> String {
    let lines: Vec<String> = lines
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect()
        })
        .collect();
    boxed(&lines, ['┌', '─', '┐', '│', '└', '┘'])
}

fn boxed(lines: &[String], [tl, h, tr, v, bl, br]: [char; 6]) -> String {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule: String = std::iter::repeat_n(h, width + 2).collect();
    let mut out = String::new();
    out.push(tl);
    out.push_str(&rule);
    out.push(tr);
    out.push('\n');
    for line in lines {
        let pad = width - line.chars().count();
        out.push(v);
        out.push(' ');
        out.push_str(line);
        out.extend(std::iter::repeat_n(' ', pad));
        out.push(' ');
        out.push(v);
        out.push('\n');
    }
    out.push(bl);
    out.push_str(&rule);
    out.push(br);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii() {
        let lines = vec!["ab".to_owned(), "é".to_owned()];
        assert_eq!(ascii_box(&lines), "+----+\n| ab |\n| ?  |\n+----+\n");
    }

    #[test]
    fn unicode() {
        let lines = vec!["ab".to_owned(), "é".to_owned()];
        assert_eq!(unicode_box(&lines), "┌────┐\n│ ab │\n│ é  │\n└────┘\n");
    }
}
