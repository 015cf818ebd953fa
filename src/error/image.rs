//! A PNG picture of a short text, for clients that asked for `image/png` and get an error: an
//! `<img>` then shows the message instead of a broken image, as with Kroki.

use font8x8::{UnicodeFonts, BASIC_FONTS};

const MAX_COLUMNS: usize = 120;
const MAX_LINES: usize = 40;
const SCALE: usize = 2;
const PADDING: usize = 8;

pub fn text_png(text: &str) -> Vec<u8> {
    let lines: Vec<Vec<char>> = text
        .lines()
        .flat_map(|line| {
            let chars: Vec<char> = line.chars().collect();
            if chars.is_empty() {
                vec![Vec::new()]
            } else {
                chars.chunks(MAX_COLUMNS).map(<[char]>::to_vec).collect()
            }
        })
        .take(MAX_LINES)
        .collect();
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let width = columns * 8 * SCALE + 2 * PADDING;
    let height = lines.len().max(1) * 10 * SCALE + 2 * PADDING;
    let mut pixels = vec![255u8; width * height];
    for (row, line) in lines.iter().enumerate() {
        for (column, character) in line.iter().enumerate() {
            let glyph = BASIC_FONTS
                .get(*character)
                .or_else(|| BASIC_FONTS.get('?'))
                .unwrap_or([0; 8]);
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..8 {
                    if bits & (1 << gx) == 0 {
                        continue;
                    }
                    for dy in 0..SCALE {
                        for dx in 0..SCALE {
                            let x = PADDING + (column * 8 + gx) * SCALE + dx;
                            let y = PADDING + (row * 10 + gy) * SCALE + dy;
                            pixels[y * width + x] = 0;
                        }
                    }
                }
            }
        }
    }
    encode_gray(&pixels, width, height)
}

fn encode_gray(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(pixels));
    if written.is_err() {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_decodable_png_of_bounded_size() {
        let png = text_png("Error 400: Syntax Error? (line: 1)\nsecond line é");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("valid PNG");
        let info = reader.info();
        assert_eq!(info.width as usize, 34 * 16 + 16);
        assert_eq!(info.height as usize, 2 * 20 + 16);
        let huge = text_png(&"x".repeat(100_000));
        let reader = png::Decoder::new(std::io::Cursor::new(huge))
            .read_info()
            .expect("valid");
        assert!(reader.info().width as usize <= MAX_COLUMNS * 16 + 16);
        assert!(reader.info().height as usize <= MAX_LINES * 20 + 16);
    }
}
