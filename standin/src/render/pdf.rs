//! PDF output: a minimal, valid PDF 1.4 with one page of Helvetica text and a correct xref table.
//! No timestamps, so the bytes depend only on the input.

use super::Page;

const FONT_SIZE: usize = 10;
const LEADING: usize = 12;
const MARGIN: usize = 36;

/// Escapes a string for a PDF literal string; non-ASCII and control characters become `?`.
fn pdf_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '(' => out.push_str("\\("),
            ')' => out.push_str("\\)"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// The PDF of a page.
pub fn document(page: &Page) -> Vec<u8> {
    let width = (2 * MARGIN + page.columns() * 6).max(200);
    let height = (2 * MARGIN + page.lines.len().max(1) * LEADING).max(100);
    let mut content = String::new();
    content.push_str(&format!(
        "BT\n/F1 {FONT_SIZE} Tf\n{LEADING} TL\n{MARGIN} {} Td\n",
        height - MARGIN - FONT_SIZE
    ));
    for line in &page.lines {
        content.push_str(&format!("({}) Tj T*\n", pdf_string(line)));
    }
    content.push_str("ET\n");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] \
/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        format!(
            "<< /Title ({}) /Producer (kroki-standin) >>",
            pdf_string(&format!("{} diagram", page.type_name))
        ),
    ];

    let mut out: Vec<u8> = Vec::new();
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", objects.len() + 1).as_bytes());
    out.extend_from_slice(b"0000000000 65535 f \n");
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;

    #[test]
    fn xref_offsets_point_at_objects() {
        let page = Page::new("graphviz", "digraph {\n a -> (b) \\ é\n}", &Options::new());
        let pdf = document(&page);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf).into_owned();
        assert!(text.contains("( a -> \\(b\\) \\\\ ?) Tj"));
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(pdf[startxref..].starts_with(b"xref\n0 7\n"));
        let table = String::from_utf8_lossy(&pdf[startxref..]);
        for (i, entry) in table.lines().skip(3).take(6).enumerate() {
            assert_eq!(entry.len(), 19, "{entry:?}");
            let offset: usize = entry[..10].parse().unwrap_or(0);
            let expected = format!("{} 0 obj", i + 1);
            assert!(pdf[offset..].starts_with(expected.as_bytes()), "{expected}");
        }
        // The stream length is right.
        let length: usize = text
            .split("/Length ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let start = pdf
            .windows(7)
            .position(|w| w == b"stream\n")
            .map(|i| i + 7)
            .unwrap_or(0);
        assert_eq!(&pdf[start + length..start + length + 9], b"endstream");
    }

    #[test]
    fn deterministic() {
        let page = Page::new("erd", "[a]", &Options::new());
        assert_eq!(document(&page), document(&page));
    }
}
