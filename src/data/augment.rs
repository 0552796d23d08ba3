//! Views of a training image, for function matching (Beyer et al., "Knowledge distillation: A
//! good teacher is patient and consistent", CVPR 2022): every step shows the student a random
//! view of each image — shifted, rotated, scaled, and with mixup blended with another training
//! image — and the teacher's targets are for *that* view, so the transfer set is many times the
//! training set. Hinton et al. (2015) trained their MNIST teacher on jittered images the same way.
//!
//! A view is a pure function of (seed, view number, sample index): the teacher's targets for K
//! views can be cached once and the student shown exactly those views later. Natively and in the
//! browser the draws are the same; the values computed from them (sin, cos, ln) go through each
//! platform's math library, which may differ in the last bit. Nothing here touches a device;
//! pixels stay in 0..=255 units.

use super::prepare::{PIXELS, Split};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Image side (the lab's images are 28x28).
const SIDE: usize = 28;

/// How views vary. All zero: no augmentation (every view is the image itself).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Augment {
    /// Largest shift, in pixels, along each axis (uniform in `±shift`).
    pub shift: f32,
    /// Largest rotation, in degrees (uniform in `±rotate`).
    pub rotate: f32,
    /// Largest relative change of size (a factor uniform in `1 ± scale`).
    pub scale: f32,
    /// mixup's Beta(α, α) parameter (Zhang et al. 2018); 0 = no mixup. With α = 1 the share of
    /// the other image is uniform in 0..1.
    pub mixup: f32,
}

impl Augment {
    /// No augmentation.
    pub const OFF: Augment = Augment {
        shift: 0.0,
        rotate: 0.0,
        scale: 0.0,
        mixup: 0.0,
    };

    /// Jitter at MNIST scale: 2 pixels, 10 degrees, ±10 % size (the ranges of the usual MNIST
    /// augmentations; Hinton et al. 2015 jittered by up to 2 pixels), no mixup.
    pub const JITTER: Augment = Augment {
        shift: 2.0,
        rotate: 10.0,
        scale: 0.1,
        mixup: 0.0,
    };

    pub fn is_off(&self) -> bool {
        *self == Augment::OFF
    }

    /// Whether views change the image's geometry (shift, rotation or scale).
    fn moves(&self) -> bool {
        self.shift != 0.0 || self.rotate != 0.0 || self.scale != 0.0
    }

    /// The CLI's and the share link's form: `off`, `jitter`, or `key=value` pairs separated by
    /// commas (`shift=2,rotate=10,scale=0.1,mixup=1`), each key at most once; `jitter,mixup=1`
    /// starts from the jitter preset. Values are checked: finite, shift ≤ 8 px, rotate ≤ 45°,
    /// scale < 0.5, mixup ≤ 10.
    pub fn parse(s: &str) -> Result<Augment, String> {
        let mut a = Augment::OFF;
        let mut seen = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "off" | "none" => continue,
                "jitter" => {
                    let mixup = a.mixup;
                    a = Augment {
                        mixup,
                        ..Augment::JITTER
                    };
                    continue;
                }
                _ => {}
            }
            let (key, value) = part.split_once('=').ok_or_else(|| {
                format!("{part:?}: expected off, jitter or key=value (shift, rotate, scale, mixup)")
            })?;
            let v: f32 = value
                .trim()
                .parse()
                .map_err(|_| format!("{key}={value}: not a number"))?;
            let (slot, max) = match key.trim() {
                "shift" => (&mut a.shift, 8.0),
                "rotate" => (&mut a.rotate, 45.0),
                "scale" => (&mut a.scale, 0.49),
                "mixup" => (&mut a.mixup, 10.0),
                k => return Err(format!("{k}: unknown (shift, rotate, scale or mixup)")),
            };
            if seen.contains(&key) {
                return Err(format!("{key} given twice"));
            }
            seen.push(key);
            if !(v.is_finite() && (0.0..=max).contains(&v)) {
                return Err(format!("{key}={value}: must be between 0 and {max}"));
            }
            *slot = v;
        }
        Ok(a)
    }
}

impl fmt::Display for Augment {
    /// The form [`Augment::parse`] reads back: `off`, or every non-zero setting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        let parts: Vec<String> = [
            ("shift", self.shift),
            ("rotate", self.rotate),
            ("scale", self.scale),
            ("mixup", self.mixup),
        ]
        .iter()
        .filter(|(_, v)| *v != 0.0)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
        f.write_str(&parts.join(","))
    }
}

/// Where distilled students' targets come from when the images are varied (the CLI's
/// `--targets`, the page's `targets=`). Without augmentation every choice means the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TargetsFrom {
    /// The teacher on each image itself, cached once: the student sees views the teacher did
    /// not (inconsistent teaching).
    #[default]
    Clean,
    /// The teacher on K views of every image, cached once; epoch e shows view e mod K
    /// (consistent).
    Views(usize),
    /// The teacher on each batch's own view at every step, a fresh view each epoch (Beyer et
    /// al.'s function matching: consistent, a teacher pass per step).
    Live,
}

/// The most views `views=K` caches (K × samples × classes logits in memory: 64 × 60,000 × 10
/// floats is 154 MB).
pub const MAX_VIEWS: usize = 64;

impl TargetsFrom {
    /// `clean`, `views=K` (K from 1 to [`MAX_VIEWS`]) or `live`.
    pub fn parse(s: &str) -> Result<TargetsFrom, String> {
        match s {
            "clean" => Ok(TargetsFrom::Clean),
            "live" => Ok(TargetsFrom::Live),
            _ => s
                .strip_prefix("views=")
                .and_then(|k| k.parse::<usize>().ok())
                .filter(|k| (1..=MAX_VIEWS).contains(k))
                .map(TargetsFrom::Views)
                .ok_or_else(|| {
                    format!("{s:?}: expected clean, live or views=K (K from 1 to {MAX_VIEWS})")
                }),
        }
    }

    /// In words, for the page and the printouts.
    pub fn describe(&self) -> String {
        match self {
            TargetsFrom::Clean => {
                "the teacher's targets for the unvaried images (inconsistent)".into()
            }
            TargetsFrom::Views(k) => format!(
                "the teacher's targets for {k} views of each image, cached once (consistent)"
            ),
            TargetsFrom::Live => {
                "the teacher run on every batch's own view (function matching)".into()
            }
        }
    }
}

impl fmt::Display for TargetsFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetsFrom::Clean => f.write_str("clean"),
            TargetsFrom::Views(k) => write!(f, "views={k}"),
            TargetsFrom::Live => f.write_str("live"),
        }
    }
}

impl std::str::FromStr for TargetsFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TargetsFrom::parse(s)
    }
}

/// One image's geometry in a view: where each output pixel samples the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Shift in pixels (x right, y down).
    pub dx: f32,
    pub dy: f32,
    /// Rotation in radians and size factor, about the image's centre.
    pub angle: f32,
    pub scale: f32,
}

impl Geometry {
    const IDENTITY: Geometry = Geometry {
        dx: 0.0,
        dy: 0.0,
        angle: 0.0,
        scale: 1.0,
    };
}

/// Sample `index`'s view number `view`: its geometry, and with mixup the other image and its
/// share (the view is `(1 − share) · image + share · other`, and so are its label weights).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub geometry: Geometry,
    pub mix: Option<(usize, f32, Geometry)>,
}

/// Uniform in `[-1, 1)`.
fn signed_unit(rng: &mut Rng) -> f32 {
    ((rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

/// Uniform in `(0, 1]`.
fn unit(rng: &mut Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

/// Gamma(α, 1) (Marsaglia & Tsang 2000; for α < 1, Gamma(α + 1) · U^(1/α)).
fn gamma(rng: &mut Rng, alpha: f64) -> f64 {
    if alpha < 1.0 {
        return gamma(rng, alpha + 1.0) * unit(rng).powf(1.0 / alpha);
    }
    let d = alpha - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        // A standard normal by Box–Muller.
        let z = (-2.0 * unit(rng).ln()).sqrt() * (2.0 * std::f64::consts::PI * unit(rng)).cos();
        let v = (1.0 + c * z).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = unit(rng);
        if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

fn geometry(a: &Augment, rng: &mut Rng) -> Geometry {
    if !a.moves() {
        return Geometry::IDENTITY;
    }
    Geometry {
        dx: a.shift * signed_unit(rng),
        dy: a.shift * signed_unit(rng),
        angle: a.rotate.to_radians() * signed_unit(rng),
        scale: 1.0 + a.scale * signed_unit(rng),
    }
}

/// Sample `index`'s view number `view` under seed `seed`, the other image drawn from the first
/// `n` samples. The same arguments give the same view (up to the last bit of the platform's
/// math library: see the module's note).
pub fn view(a: &Augment, seed: u64, view: u64, index: usize, n: usize) -> View {
    let key = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ view.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (index as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    let mut rng = Rng::new(key);
    let own = geometry(a, &mut rng);
    let mix = (a.mixup > 0.0 && n > 0).then(|| {
        let other = rng.below(n);
        let (x, y) = (
            gamma(&mut rng, a.mixup as f64),
            gamma(&mut rng, a.mixup as f64),
        );
        let share = (y / (x + y)) as f32;
        (other, share, geometry(a, &mut rng))
    });
    View { geometry: own, mix }
}

/// Add `weight` × `image` seen through `g` to `out` (both 28x28, row-major): each output pixel
/// samples the source bilinearly at its inverse-mapped position (zero outside the image).
pub fn warp_into(image: &[u8], g: &Geometry, weight: f32, out: &mut [f32]) {
    debug_assert_eq!(image.len(), PIXELS);
    if *g == Geometry::IDENTITY {
        for (o, &p) in out.iter_mut().zip(image) {
            *o += weight * p as f32;
        }
        return;
    }
    let c = (SIDE as f32 - 1.0) / 2.0;
    let (sin, cos) = g.angle.sin_cos();
    let inv = 1.0 / g.scale;
    let px = |x: i32, y: i32| -> f32 {
        if (0..SIDE as i32).contains(&x) && (0..SIDE as i32).contains(&y) {
            image[y as usize * SIDE + x as usize] as f32
        } else {
            0.0
        }
    };
    for v in 0..SIDE {
        for u in 0..SIDE {
            // Undo the shift, then the rotation and scaling about the centre.
            let (x, y) = (u as f32 - c - g.dx, v as f32 - c - g.dy);
            let sx = (cos * x + sin * y) * inv + c;
            let sy = (-sin * x + cos * y) * inv + c;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i32, y0 as i32);
            let value = px(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + px(x0 + 1, y0) * fx * (1.0 - fy)
                + px(x0, y0 + 1) * (1.0 - fx) * fy
                + px(x0 + 1, y0 + 1) * fx * fy;
            out[v * SIDE + u] += weight * value;
        }
    }
}

/// Sample `index`'s view `v` of `split`, in pixel units (0..=255), into `out` (784 values).
pub fn render(split: &Split, index: usize, v: &View, out: &mut [f32]) {
    out.iter_mut().for_each(|o| *o = 0.0);
    let share = v.mix.map_or(0.0, |(_, s, _)| s);
    warp_into(split.image(index), &v.geometry, 1.0 - share, out);
    if let Some((other, share, g)) = v.mix {
        warp_into(split.image(other), &g, share, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(images: &[[u8; PIXELS]]) -> Split {
        Split {
            labels: (0..images.len() as u8).collect(),
            pixels: images.iter().flatten().copied().collect(),
        }
    }

    /// A 28x28 image with one bright pixel at (x, y).
    fn dot(x: usize, y: usize) -> [u8; PIXELS] {
        let mut img = [0u8; PIXELS];
        img[y * SIDE + x] = 200;
        img
    }

    fn argmax(v: &[f32]) -> usize {
        (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap()
    }

    #[test]
    fn off_is_the_image_itself() {
        let s = split(&[dot(3, 4)]);
        let v = view(&Augment::OFF, 7, 3, 0, 1);
        assert_eq!(v.geometry, Geometry::IDENTITY);
        assert_eq!(v.mix, None);
        let mut out = [0.0; PIXELS];
        render(&s, 0, &v, &mut out);
        let want: Vec<f32> = dot(3, 4).iter().map(|&p| p as f32).collect();
        assert_eq!(out.to_vec(), want);
    }

    #[test]
    fn a_shift_moves_the_image_by_whole_pixels() {
        let g = Geometry {
            dx: 2.0,
            dy: -1.0,
            ..Geometry::IDENTITY
        };
        let mut out = [0.0; PIXELS];
        warp_into(&dot(10, 10), &g, 1.0, &mut out);
        assert_eq!(argmax(&out), 9 * SIDE + 12, "right 2, up 1");
        assert!((out[9 * SIDE + 12] - 200.0).abs() < 1e-3);
        assert!(
            (out.iter().sum::<f32>() - 200.0).abs() < 1e-2,
            "nothing lost inside the frame"
        );
    }

    #[test]
    fn a_quarter_turn_about_the_centre_maps_corners_to_corners() {
        // Clockwise on screen (y down): the top-left corner goes to the top-right one.
        let g = Geometry {
            angle: std::f32::consts::FRAC_PI_2,
            ..Geometry::IDENTITY
        };
        let mut out = [0.0; PIXELS];
        warp_into(&dot(0, 0), &g, 1.0, &mut out);
        assert_eq!(argmax(&out), 27, "(0, 0) → (27, 0)");
        assert!((out[27] - 200.0).abs() < 1e-2);
    }

    #[test]
    fn scaling_up_moves_pixels_away_from_the_centre() {
        let g = Geometry {
            scale: 1.5,
            ..Geometry::IDENTITY
        };
        let mut out = [0.0; PIXELS];
        // 3.5 pixels right of the centre (13.5): at 1.5x, 5.25 pixels right of it.
        warp_into(&dot(17, 13), &g, 1.0, &mut out);
        let (x, y) = (argmax(&out) % SIDE, argmax(&out) / SIDE);
        assert!(
            (19..=20).contains(&x) && (12..=14).contains(&y),
            "({x}, {y})"
        );
    }

    #[test]
    fn views_are_a_function_of_seed_view_and_index_and_stay_in_range() {
        let a = Augment {
            mixup: 1.0,
            ..Augment::JITTER
        };
        let v = view(&a, 1, 2, 3, 100);
        assert_eq!(v, view(&a, 1, 2, 3, 100), "reproducible");
        assert_ne!(v, view(&a, 1, 2, 4, 100), "another sample");
        assert_ne!(v, view(&a, 1, 3, 3, 100), "another view");
        assert_ne!(v, view(&a, 2, 2, 3, 100), "another seed");
        let (mut shares, mut others) = (Vec::new(), Vec::new());
        for i in 0..2000 {
            let v = view(&a, 0, 0, i, 100);
            let g = v.geometry;
            assert!(g.dx.abs() <= 2.0 && g.dy.abs() <= 2.0);
            assert!(g.angle.abs() <= 10f32.to_radians() + 1e-6);
            assert!((0.9..=1.1).contains(&g.scale));
            let (other, share, _) = v.mix.unwrap();
            assert!(other < 100 && (0.0..=1.0).contains(&share));
            shares.push(share);
            others.push(other);
        }
        // Beta(1, 1) is uniform: mean 1/2, variance 1/12.
        let mean = shares.iter().sum::<f32>() / shares.len() as f32;
        let var = shares.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / shares.len() as f32;
        assert!(
            (mean - 0.5).abs() < 0.03 && (var - 1.0 / 12.0).abs() < 0.01,
            "{mean} {var}"
        );
        assert!(
            others
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 90
        );
    }

    #[test]
    fn a_small_mixup_alpha_mostly_keeps_one_image() {
        // Beta(0.2, 0.2) piles up near 0 and 1 (its mean is still 1/2).
        let a = Augment {
            mixup: 0.2,
            ..Augment::OFF
        };
        let shares: Vec<f32> = (0..2000)
            .map(|i| view(&a, 0, 0, i, 10).mix.unwrap().1)
            .collect();
        let edges = shares
            .iter()
            .filter(|&&s| !(0.1..=0.9).contains(&s))
            .count();
        assert!(edges > 1200, "{edges} of 2000 within 0.1 of an end");
        let mean = shares.iter().sum::<f32>() / shares.len() as f32;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
    }

    #[test]
    fn mixup_blends_the_two_images_by_the_share() {
        let s = split(&[dot(1, 1), dot(20, 20)]);
        let v = View {
            geometry: Geometry::IDENTITY,
            mix: Some((1, 0.25, Geometry::IDENTITY)),
        };
        let mut out = [0.0; PIXELS];
        render(&s, 0, &v, &mut out);
        assert!((out[SIDE + 1] - 150.0).abs() < 1e-3 && (out[20 * SIDE + 20] - 50.0).abs() < 1e-3);
    }

    #[test]
    fn the_text_form_reads_back_and_hostile_values_are_refused() {
        for a in [
            Augment::OFF,
            Augment::JITTER,
            Augment {
                mixup: 1.0,
                ..Augment::JITTER
            },
            Augment {
                mixup: 0.2,
                ..Augment::OFF
            },
        ] {
            assert_eq!(Augment::parse(&a.to_string()).unwrap(), a, "{a}");
        }
        assert_eq!(
            Augment::parse("jitter,mixup=1").unwrap(),
            Augment {
                mixup: 1.0,
                ..Augment::JITTER
            }
        );
        for bad in [
            "shift=NaN",
            "rotate=inf",
            "shift=-1",
            "scale=0.5",
            "mixup=1e9",
            "blur=1",
            "shift",
            "shift=1,shift=2",
            "shift=x",
        ] {
            assert!(Augment::parse(bad).is_err(), "{bad}");
        }
    }
}
