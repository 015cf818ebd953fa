//! PNG and JPEG output: text drawn with the 8×8 glyphs of `font8x8` into an RGB raster.
//!
//! Characters outside ASCII (and control characters) are drawn as `?`.

use font8x8::{UnicodeFonts, BASIC_FONTS};

use super::{Palette, RenderError};

const GLYPH: usize = 8;
const LINE_HEIGHT: usize = 10;
const PADDING: usize = 8;

/// An RGB image, 3 bytes per pixel, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// Draws `lines` (already bounded by the caller) with `palette`.
pub fn rasterize(lines: &[String], palette: Palette) -> Raster {
    let columns = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let rows = lines.len().max(1);
    let width = 2 * PADDING + columns * GLYPH;
    let height = 2 * PADDING + rows * LINE_HEIGHT;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for _ in 0..width * height {
        rgb.extend_from_slice(&palette.background);
    }
    for (row, line) in lines.iter().enumerate() {
        for (col, c) in line.chars().enumerate() {
            let c = if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            };
            let glyph = BASIC_FONTS.get(c).unwrap_or([0; 8]);
            let x0 = PADDING + col * GLYPH;
            let y0 = PADDING + row * LINE_HEIGHT + 1;
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..GLYPH {
                    if bits & (1 << gx) != 0 {
                        let offset = ((y0 + gy) * width + x0 + gx) * 3;
                        if let Some(px) = rgb.get_mut(offset..offset + 3) {
                            px.copy_from_slice(&palette.foreground);
                        }
                    }
                }
            }
        }
    }
    Raster {
        width: u32::try_from(width).unwrap_or(u32::MAX),
        height: u32::try_from(height).unwrap_or(u32::MAX),
        rgb,
    }
}

/// Encodes as PNG (8-bit RGB), with `tEXt` chunks.
pub fn encode_png(image: &Raster, text: &[(&str, &str)]) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        for (keyword, value) in text {
            // tEXt is Latin-1: keep ASCII only.
            let value: String = value
                .chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect();
            encoder
                .add_text_chunk((*keyword).to_owned(), value)
                .map_err(|e| RenderError(e.to_string()))?;
        }
        let mut writer = encoder
            .write_header()
            .map_err(|e| RenderError(e.to_string()))?;
        writer
            .write_image_data(&image.rgb)
            .map_err(|e| RenderError(e.to_string()))?;
        writer.finish().map_err(|e| RenderError(e.to_string()))?;
    }
    Ok(out)
}

/// Encodes as baseline JPEG (quality 90).
pub fn encode_jpeg(image: &Raster) -> Result<Vec<u8>, RenderError> {
    let width = u16::try_from(image.width).map_err(|e| RenderError(e.to_string()))?;
    let height = u16::try_from(image.height).map_err(|e| RenderError(e.to_string()))?;
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder
        .encode(&image.rgb, width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| RenderError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn png_decodes_with_expected_size() {
        let lines = vec!["Hello".to_owned(), "é→".to_owned()];
        let image = rasterize(&lines, Palette::LIGHT);
        assert_eq!(image.width as usize, 2 * PADDING + 8 * GLYPH);
        assert_eq!(image.height as usize, 2 * PADDING + 2 * LINE_HEIGHT);
        let bytes = encode_png(&image, &[("k", "v")]).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (image.width, image.height));
        assert_eq!(&buf[..info.buffer_size()], image.rgb.as_slice());
        // Some pixels are drawn in the foreground colour.
        assert!(image.rgb.chunks(3).any(|p| p == [0, 0, 0]));
    }

    #[test]
    fn jpeg_has_markers() {
        let image = rasterize(&["x".to_owned()], Palette::DARK);
        let bytes = encode_jpeg(&image).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(bytes.ends_with(&[0xFF, 0xD9]));
    }
}
