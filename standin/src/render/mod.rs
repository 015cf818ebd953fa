//! Deterministic pictures of a diagram source, in real file formats.
//!
//! The stand-in does not draw diagrams: every output is a rendering of the source **text**
//! (one line of text per source line), bounded to [`MAX_LINES`] lines of [`MAX_COLS`] characters.
//! The same (type, format, options, source) always gives the same bytes.
//!
//! * `svg`: [`svg`], an XML document with one `<text>` per line and the options in `data-options`.
//! * `png`/`jpeg`: [`raster`], the text drawn with the 8×8 `font8x8` glyphs.
//! * `pdf`: [`pdf`], a one-page PDF 1.4 using Helvetica.
//! * `txt`/`utxt`: [`text`], the lines in an ASCII or Unicode box.
//! * `base64`: `data:image/png;base64,` + URL-safe Base64 (padded) of the PNG.

pub mod pdf;
pub mod raster;
pub mod svg;
pub mod text;

use base64::Engine as _;

use crate::catalog::{DiagramType, Format};
use crate::options::{option_text, to_json, Options};

/// At most this many source lines are drawn.
pub const MAX_LINES: usize = 200;
/// At most this many characters of a line are drawn.
pub const MAX_COLS: usize = 160;

/// Foreground and background colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Background colour (RGB).
    pub background: [u8; 3],
    /// Text colour (RGB).
    pub foreground: [u8; 3],
}

impl Palette {
    /// Black on white.
    pub const LIGHT: Palette = Palette {
        background: [0xFF, 0xFF, 0xFF],
        foreground: [0x00, 0x00, 0x00],
    };
    /// Light grey on near-black, used when the `theme` option contains "dark".
    pub const DARK: Palette = Palette {
        background: [0x1E, 0x1E, 0x1E],
        foreground: [0xE0, 0xE0, 0xE0],
    };
    /// Kroki's error colours (red on pink).
    pub const ERROR: Palette = Palette {
        background: [0xFF, 0xF5, 0xF7],
        foreground: [0xCD, 0x09, 0x30],
    };

    /// `#rrggbb` of the background.
    pub fn background_hex(&self) -> String {
        hex(self.background)
    }

    /// `#rrggbb` of the text.
    pub fn foreground_hex(&self) -> String {
        hex(self.foreground)
    }
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// What gets drawn.
#[derive(Clone, Debug)]
pub struct Page {
    /// The diagram type's URL name.
    pub type_name: String,
    /// The lines to draw (already bounded).
    pub lines: Vec<String>,
    /// Colours.
    pub palette: Palette,
    /// Compact JSON of the options the render saw.
    pub options_json: String,
}

impl Page {
    /// Lays out `source` for `type_name` with `options`.
    pub fn new(type_name: &str, source: &str, options: &Options) -> Page {
        let dark = option_text(options, "theme")
            .map(|t| t.to_lowercase().contains("dark"))
            .unwrap_or(false);
        Page {
            type_name: type_name.to_owned(),
            lines: layout_lines(source),
            palette: if dark { Palette::DARK } else { Palette::LIGHT },
            options_json: to_json(options),
        }
    }

    /// The widest line, in characters.
    pub fn columns(&self) -> usize {
        self.lines
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    }
}

/// Splits text into drawable lines: `\r\n` and `\n` end lines, tabs become a space, at most
/// [`MAX_LINES`] lines of at most [`MAX_COLS`] characters.
pub fn layout_lines(text: &str) -> Vec<String> {
    text.split('\n')
        .take(MAX_LINES)
        .map(|line| {
            line.strip_suffix('\r')
                .unwrap_or(line)
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .take(MAX_COLS)
                .collect()
        })
        .collect()
}

/// An encoder failure (HTTP 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

/// A test hook like [`crate::engine::SYNTAX_MARKER`]: an SVG render of a source whose first line
/// is this marker is the rest of the source, verbatim. Real engines can put user-controlled
/// markup (script, event handlers) into an SVG; this lets the tests of the app's diagram
/// Content-Security-Policy serve exactly such an SVG.
pub const RAW_SVG_MARKER: &str = "STANDIN_RAW_SVG";

/// Renders `source` of `ty` to `format`.
pub fn render(
    ty: &DiagramType,
    format: Format,
    source: &str,
    options: &Options,
) -> Result<Vec<u8>, RenderError> {
    if format == Format::Svg {
        if let Some(raw) = source
            .strip_prefix(RAW_SVG_MARKER)
            .and_then(|rest| rest.strip_prefix('\n'))
        {
            return Ok(raw.as_bytes().to_vec());
        }
    }
    let page = Page::new(ty.name, source, options);
    match format {
        Format::Svg => Ok(svg::diagram(&page).into_bytes()),
        Format::Png => png_of(&page),
        Format::Jpeg => {
            let image = raster::rasterize(&page.lines, page.palette);
            raster::encode_jpeg(&image)
        }
        Format::Pdf => Ok(pdf::document(&page)),
        Format::Txt => Ok(text::ascii_box(&page.lines).into_bytes()),
        Format::Utxt => Ok(text::unicode_box(&page.lines).into_bytes()),
        Format::Base64 => {
            let png = png_of(&page)?;
            let encoded = base64::engine::general_purpose::URL_SAFE.encode(png);
            Ok(format!("data:image/png;base64,{encoded}").into_bytes())
        }
    }
}

fn png_of(page: &Page) -> Result<Vec<u8>, RenderError> {
    let image = raster::rasterize(&page.lines, page.palette);
    raster::encode_png(
        &image,
        &[
            ("kroki-standin-type", page.type_name.as_str()),
            ("kroki-standin-options", page.options_json.as_str()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_svg_marker_returns_the_rest_verbatim_for_svg_only() {
        let ty = crate::catalog::find("graphviz").unwrap();
        let source = format!("{RAW_SVG_MARKER}\n<svg><script>x()</script></svg>");
        let svg = render(ty, Format::Svg, &source, &Options::default()).unwrap();
        assert_eq!(svg, b"<svg><script>x()</script></svg>");
        let png = render(ty, Format::Png, &source, &Options::default()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(500);
        let many = vec!["a"; 500].join("\n");
        assert_eq!(layout_lines(&long)[0].chars().count(), MAX_COLS);
        assert_eq!(layout_lines(&many).len(), MAX_LINES);
        assert_eq!(layout_lines("a\r\nb\tc"), vec!["a", "b c"]);
        assert_eq!(layout_lines(""), vec![""]);
    }

    #[test]
    fn dark_theme_is_detected() {
        let mut options = Options::new();
        options.insert("theme".into(), serde_json::json!("Dark-Mode"));
        assert_eq!(Page::new("d2", "x", &options).palette, Palette::DARK);
        assert_eq!(
            Page::new("d2", "x", &Options::new()).palette,
            Palette::LIGHT
        );
    }
}
