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
mod tests;
