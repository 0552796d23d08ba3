//! The views' properties: ranges, determinism, mixup's shares, the text form.
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
