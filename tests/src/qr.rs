//! Reading QR codes out of a screenshot, to check that what the payer's phone would scan is right.

use anyhow::{Context as _, Result};

/// The contents of every QR code found in a PNG image.
pub fn decode_png(png_bytes: &[u8]) -> Result<Vec<String>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().context("not a PNG")?;
    let mut pixels = vec![0; reader.output_buffer_size().context("PNG too large")?];
    let frame = reader.next_frame(&mut pixels)?;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    let grey = |x: usize, y: usize| {
        let i = (y * width + x) * channels;
        match channels {
            1 | 2 => pixels[i],
            _ => {
                ((u32::from(pixels[i]) * 3
                    + u32::from(pixels[i + 1]) * 6
                    + u32::from(pixels[i + 2]))
                    / 10) as u8
            }
        }
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, grey);
    image
        .detect_grids()
        .iter()
        .map(|grid| {
            grid.decode()
                .map(|(_, content)| content)
                .context("a QR code that does not decode")
        })
        .collect()
}
