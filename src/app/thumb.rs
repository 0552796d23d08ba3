//! 28x28 greyscale images as `data:` URLs (an 8-bit BMP: dark ink on a light ground), so the
//! explorer's grid is plain `<img>` tags: no canvas, no DOM per pixel.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A BMP file of a `side x side` image (rows top to bottom, 0 = background).
pub fn bmp(pixels: &[u8], side: usize) -> Vec<u8> {
    let row = side.div_ceil(4) * 4;
    let offset = 14 + 40 + 256 * 4;
    let size = offset + row * side;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(offset as u32).to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(side as i32).to_le_bytes());
    out.extend_from_slice(&(side as i32).to_le_bytes()); // positive height: bottom-up rows
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&[0u8; 24]); // no compression, sizes and resolutions left to defaults
    for v in 0..=255u8 {
        let g = 255 - v; // ink is dark
        out.extend_from_slice(&[g, g, g, 0]);
    }
    for r in (0..side).rev() {
        out.extend_from_slice(&pixels[r * side..(r + 1) * side]);
        out.resize(out.len() + row - side, 0);
    }
    out
}

pub fn data_url(pixels: &[u8], side: usize) -> String {
    format!("data:image/bmp;base64,{}", base64(&bmp(pixels, side)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn bmp_layout() {
        let mut px = vec![0u8; 784];
        px[0] = 255; // top-left ink
        let b = bmp(&px, 28);
        assert_eq!(b.len(), 14 + 40 + 1024 + 784);
        // Bottom-up: the top row is the last one in the file.
        assert_eq!(b[b.len() - 28], 255);
    }
}
