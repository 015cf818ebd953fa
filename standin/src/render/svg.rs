//! SVG output: the diagram text as an XML document, and Kroki's error image.

use super::{Page, Palette};

const CHAR_WIDTH: usize = 8;
const LINE_HEIGHT: usize = 16;
const PADDING: usize = 10;

/// Escapes text for XML content or a double-quoted attribute. Characters XML 1.0 cannot carry
/// (control characters other than tab, U+FFFE, U+FFFF) become `?`.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push('\t'),
            c if c < ' ' || c == '\u{7f}' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The SVG of a diagram page.
pub fn diagram(page: &Page) -> String {
    let width = 2 * PADDING + CHAR_WIDTH * page.columns().max(10);
    let height = 2 * PADDING + LINE_HEIGHT * page.lines.len().max(1);
    let mut svg =
        String::with_capacity(256 + page.lines.iter().map(|l| l.len() + 96).sum::<usize>());
    svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    svg.push_str(&format!(
        "<!-- kroki-standin: text rendering of a {} diagram -->\n",
        xml_escape(&page.type_name).replace("--", "- -")
    ));
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{width}\" height=\"{height}\" \
viewBox=\"0 0 {width} {height}\" data-diagram-type=\"{}\" data-options=\"{}\">\n",
        xml_escape(&page.type_name),
        xml_escape(&page.options_json)
    ));
    svg.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"{}\"/>\n",
        page.palette.background_hex()
    ));
    let fill = page.palette.foreground_hex();
    for (i, line) in page.lines.iter().enumerate() {
        let y = PADDING + LINE_HEIGHT * (i + 1) - 4;
        svg.push_str(&format!(
            "<text x=\"{PADDING}\" y=\"{y}\" font-family=\"monospace\" font-size=\"13\" fill=\"{fill}\" xml:space=\"preserve\">{}</text>\n",
            xml_escape(line)
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// Kroki's error image (`ErrorImage.buildSVGImage`): one `<tspan>` per line of `text`.
pub fn error_image(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            if line.chars().count() > 160 {
                let mut cut: String = line.chars().take(160).collect();
                cut.push('…');
                cut
            } else {
                line.to_owned()
            }
        })
        .collect();
    let columns = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let width = 10 + columns * 9 + 10;
    let height = 5 + lines.len() * 16 + 5;
    let palette = Palette::ERROR;
    let mut tspans = String::new();
    for line in &lines {
        tspans.push_str(&format!(
            "<tspan x=\"10\" dy=\"16\">{}</tspan>\n",
            xml_escape(line)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" version=\"1.1\">\n\
<rect fill=\"{bg}\" width=\"{width}\" height=\"{height}\"/>\n\
<text id=\"text\" xml:space=\"preserve\" font-weight=\"bold\" fill=\"{fg}\" font-family=\"BlinkMacSystemFont, -apple-system, 'Segoe UI', Roboto, Oxygen, Ubuntu, Cantarell, 'Fira Sans', 'Droid Sans', 'Helvetica Neue', 'Helvetica', Arial, sans-serif\" font-size=\"16px\" x=\"0\" y=\"5\" dy=\"0\">\n\
{tspans}</text>\n\
<rect fill=\"#ff3860\" width=\"3\" height=\"{height}\"/>\n\
</svg>",
        bg = palette.background_hex(),
        fg = palette.foreground_hex(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;

    #[test]
    fn escapes_markup_and_control_chars() {
        assert_eq!(xml_escape("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;?");
    }

    #[test]
    fn diagram_svg_contains_lines_and_options() {
        let mut options = Options::new();
        options.insert("theme".into(), serde_json::json!("dark"));
        let page = Page::new("graphviz", "digraph {\n  a -> b\n}", &options);
        let svg = diagram(&page);
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("a -&gt; b"));
        assert!(svg.contains("data-options=\"{&quot;theme&quot;:&quot;dark&quot;}\""));
        assert!(svg.contains("#1e1e1e"));
        assert!(svg.contains("<!-- kroki-standin: text rendering of a graphviz diagram -->"));
    }

    #[test]
    fn error_image_has_tspans() {
        let svg = error_image("Error 400: Syntax Error? (line: 1)");
        assert!(
            svg.contains("<tspan x=\"10\" dy=\"16\">Error 400: Syntax Error? (line: 1)</tspan>")
        );
    }
}
