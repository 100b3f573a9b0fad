//! Charts as PNG: the same drawing function as the SVG and canvas charts
//! ([`pipelab::view::chart::draw`]) onto a small RGB raster backend, then a
//! minimal PNG writer (zlib via `miniz_oxide`, CRC-32 by hand).
//!
//! Text uses the public-domain 8×8 bitmap font of `font8x8`, scaled by
//! whole pixels, so no font files or system fonts are needed.

use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind, FontTransform};

/// An RGB pixel buffer as a plotters backend.
pub struct Raster {
    w: u32,
    h: u32,
    /// Row-major RGB bytes.
    pub pixels: Vec<u8>,
}

impl Raster {
    /// A white `w`×`h` raster.
    pub fn new(w: u32, h: u32) -> Self {
        Raster {
            w,
            h,
            pixels: vec![255; (w * h * 3) as usize],
        }
    }
}

#[derive(Debug)]
pub struct NoError;
impl std::fmt::Display for NoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("raster error")
    }
}
impl std::error::Error for NoError {}

fn glyph(c: char) -> [u8; 8] {
    let n = c as u32;
    if n < 128 {
        font8x8::legacy::BASIC_LEGACY[n as usize]
    } else if (0xA0..0x100).contains(&n) {
        font8x8::legacy::LATIN_LEGACY[(n - 0xA0) as usize]
    } else {
        font8x8::legacy::BASIC_LEGACY['?' as usize]
    }
}

/// Whole-pixel scale of the 8×8 font for a font size in pixels.
fn scale(size: f64) -> i32 {
    ((size / 11.0).round() as i32).max(1)
}

impl DrawingBackend for Raster {
    type ErrorType = NoError;

    fn get_size(&self) -> (u32, u32) {
        (self.w, self.h)
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<NoError>> {
        Ok(())
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<NoError>> {
        Ok(())
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<NoError>> {
        if p.0 < 0 || p.1 < 0 || p.0 >= self.w as i32 || p.1 >= self.h as i32 || c.alpha <= 0.0 {
            return Ok(());
        }
        let i = ((p.1 as u32 * self.w + p.0 as u32) * 3) as usize;
        let a = c.alpha.min(1.0);
        for (k, v) in [c.rgb.0, c.rgb.1, c.rgb.2].into_iter().enumerate() {
            let old = f64::from(self.pixels[i + k]);
            self.pixels[i + k] = (old * (1.0 - a) + f64::from(v) * a).round() as u8;
        }
        Ok(())
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<NoError>> {
        let s = scale(style.size()) as u32;
        Ok((8 * s * text.chars().count() as u32, 8 * s))
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<NoError>> {
        let color = style.color();
        let s = scale(style.size());
        let (w, h) = (8 * s * text.chars().count() as i32, 8 * s);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let trans: FontTransform = style.transform();
        for (ci, ch) in text.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) == 0 {
                        continue;
                    }
                    for sy in 0..s {
                        for sx in 0..s {
                            let x = ci as i32 * 8 * s + col * s + sx + dx;
                            let y = row as i32 * s + sy + dy;
                            let (x, y) = trans.transform(x, y);
                            self.draw_pixel((pos.0 + x, pos.1 + y), color)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *t = c;
    }
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// Encodes an RGB buffer as a PNG file.
pub fn encode(w: u32, h: u32, rgb: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w * 3 + 1) as usize * h as usize);
    for row in rgb.chunks((w * 3) as usize) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Draws a chart and returns the PNG bytes.
pub fn chart_png(data: &pipelab::view::chart::ChartData, w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut r = Raster::new(w, h);
    {
        let root = (&mut r).into_drawing_area();
        pipelab::view::chart::draw(&root, data, false)?;
    }
    Ok(encode(w, h, &r.pixels))
}

// `&mut Raster` as a backend, so the buffer can be read after drawing.
impl DrawingBackend for &mut Raster {
    type ErrorType = NoError;
    fn get_size(&self) -> (u32, u32) {
        (**self).get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<NoError>> {
        Ok(())
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<NoError>> {
        Ok(())
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<NoError>> {
        (**self).draw_pixel(p, c)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<NoError>> {
        (**self).estimate_text_size(text, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<NoError>> {
        (**self).draw_text(text, style, pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
