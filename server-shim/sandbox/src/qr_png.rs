//! QR codes as PNG images, the way `/v1/payment/qr` returns them: `data:image/png;base64,...`.
//!
//! A greyscale PNG written by hand (signature, IHDR, one zlib IDAT, IEND), so the sandbox needs
//! no image library.

use base64::Engine as _;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use qrcode::{Color, QrCode};
use std::io::Write as _;

/// Pixels per module.
const SCALE: usize = 6;
/// Light modules around the code, as scanners expect.
const QUIET_ZONE: usize = 4;

/// A `data:` URI of a PNG QR code of `text`; `None` if the text does not fit in a QR code.
pub(crate) fn data_uri(text: &str) -> Option<String> {
    let png = png(text)?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

fn png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let dark = |x: usize, y: usize| {
        let (mx, my) = (x / SCALE, y / SCALE);
        let inside = (QUIET_ZONE..QUIET_ZONE + modules).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + modules).contains(&my);
        inside && colors[(my - QUIET_ZONE) * modules + (mx - QUIET_ZONE)] == Color::Dark
    };
    let mut scanlines = Vec::with_capacity((side + 1) * side);
    for y in 0..side {
        scanlines.push(0); // filter: none
        scanlines.extend((0..side).map(|x| if dark(x, y) { 0 } else { 255 }));
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&scanlines).ok()?;
    let idat = zlib.finish().ok()?;

    let side = u32::try_from(side).ok()?;
    let mut header = Vec::with_capacity(13);
    header.extend(side.to_be_bytes());
    header.extend(side.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]); // 8-bit greyscale, deflate, no filter method, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Some(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(kind);
    out.extend(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend(crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_decodes_and_scans_back() {
        let text = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
        let bytes = png(text).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        let (w, h) = (frame.width as usize, frame.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, text);
        assert!(
            data_uri(text)
                .unwrap()
                .starts_with("data:image/png;base64,iVBORw0KGgo")
        );
    }
}
