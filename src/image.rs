//! Images for the page, in plain Rust (tested natively): 28x28 greyscale images as `data:` URLs
//! (an 8-bit BMP: dark ink on a light ground), so the explorer's grid is plain `<img>` tags; and
//! a drawn letter turned into a model input the way MNIST's digits were made.

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

/// MNIST's recipe (LeCun et al., "The MNIST database"): the drawing's bounding box is scaled,
/// aspect kept, to fit a 20x20 box (anti-aliased by area averaging), then placed in the 28x28
/// frame so that its centre of mass is at the centre. `ink` is one byte per canvas pixel
/// (0 = blank), `w` x `h`. The result is normalised to a peak of 255. `None` for a blank pad.
pub fn stroke_to_input(ink: &[u8], w: usize, h: usize) -> Option<Vec<u8>> {
    const BOX: f32 = 20.0;
    const SIDE: usize = 28;
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] > 0 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (bw, bh) = (x1 - x0, y1 - y0);
    let scale = BOX / bw.max(bh) as f32;
    let (ow, oh) = (
        ((bw as f32 * scale).ceil() as usize).max(1),
        ((bh as f32 * scale).ceil() as usize).max(1),
    );
    // Area averaging: every source pixel spreads its ink over the target pixels its scaled
    // square overlaps, weighted by the overlap.
    let mut small = vec![0f32; ow * oh];
    for y in y0..y1 {
        for x in x0..x1 {
            let v = ink[y * w + x] as f32;
            if v == 0.0 {
                continue;
            }
            let (fx0, fy0) = ((x - x0) as f32 * scale, (y - y0) as f32 * scale);
            let (fx1, fy1) = (fx0 + scale, fy0 + scale);
            for ty in fy0.floor() as usize..(fy1.ceil() as usize).min(oh) {
                let oy = (fy1.min(ty as f32 + 1.0) - fy0.max(ty as f32)).max(0.0);
                for tx in fx0.floor() as usize..(fx1.ceil() as usize).min(ow) {
                    let ox = (fx1.min(tx as f32 + 1.0) - fx0.max(tx as f32)).max(0.0);
                    small[ty * ow + tx] += v * ox * oy;
                }
            }
        }
    }
    let mass: f32 = small.iter().sum();
    let (mut cx, mut cy) = (0.0f32, 0.0f32);
    for y in 0..oh {
        for x in 0..ow {
            cx += small[y * ow + x] * (x as f32 + 0.5);
            cy += small[y * ow + x] * (y as f32 + 0.5);
        }
    }
    let (cx, cy) = (cx / mass, cy / mass);
    // Offsets that put the centre of mass at (14, 14), kept inside the frame.
    let place = |c: f32, size: usize| {
        ((SIDE as f32 / 2.0 - c).round() as isize).clamp(0, (SIDE - size) as isize) as usize
    };
    let (dx, dy) = (place(cx, ow), place(cy, oh));
    let peak = small.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
    let mut out = vec![0u8; SIDE * SIDE];
    for y in 0..oh {
        for x in 0..ow {
            out[(y + dy) * SIDE + x + dx] = (small[y * ow + x] / peak * 255.0).round() as u8;
        }
    }
    Some(out)
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
    fn a_stroke_is_boxed_and_centred_by_mass() {
        // A thick vertical bar drawn off-centre on a 280x280 pad.
        let (w, h) = (280, 280);
        let mut ink = vec![0u8; w * h];
        for y in 20..200 {
            for x in 200..220 {
                ink[y * w + x] = 255;
            }
        }
        let img = stroke_to_input(&ink, w, h).unwrap();
        let rows: Vec<usize> = (0..28)
            .filter(|r| img[r * 28..(r + 1) * 28].iter().any(|&v| v > 0))
            .collect();
        assert_eq!(rows.len(), 20, "the long side fills the 20-pixel box");
        let mass: f32 = img.iter().map(|&v| v as f32).sum();
        let cx: f32 = img
            .iter()
            .enumerate()
            .map(|(i, &v)| v as f32 * ((i % 28) as f32 + 0.5))
            .sum::<f32>()
            / mass;
        let cy: f32 = img
            .iter()
            .enumerate()
            .map(|(i, &v)| v as f32 * ((i / 28) as f32 + 0.5))
            .sum::<f32>()
            / mass;
        assert!(
            (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
            "centre of mass ({cx}, {cy})"
        );
        assert_eq!(img.iter().copied().max(), Some(255));
        assert!(stroke_to_input(&[0; 100], 10, 10).is_none());
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
