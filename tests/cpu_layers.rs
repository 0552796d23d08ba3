//! The CPU backend's stand-ins for burn's layers (`model::dropout`, `model::single_channel_conv`,
//! `model::multi_channel_conv`, `model::max_pool`, `model::conv_relu_pool`): the same results and
//! gradients as the layers they replace.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::nn::{DropoutConfig, conv::Conv2d};
use burn::prelude::*;
use burn::tensor::Distribution;
use distill_lab::model::{
    conv_relu_pool, dropout, max_pool, multi_channel_conv, on_cpu, single_channel_conv,
};

fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

/// `ours` and `burns`, two outputs computed from input `x` with `conv`'s parameters, give the
/// same gradients of `Σ y·r` for the input, the weights and the bias. The weight and bias
/// gradients are sums over many terms of order 1 (up to 130·121), taken in another order, so
/// they are compared relative to the largest.
fn assert_same_gradients(
    conv: &Conv2d,
    x: &Tensor<4>,
    r: &Tensor<4>,
    ours: Tensor<4>,
    burns: Tensor<4>,
) {
    let grads = |y: Tensor<4>| {
        let g = (y * r.clone()).sum().backward();
        let bias = conv.bias.as_ref().unwrap().val();
        (
            x.grad(&g).unwrap(),
            conv.weight.val().grad(&g).unwrap(),
            bias.grad(&g).unwrap(),
        )
    };
    let (x_ours, w_ours, b_ours) = grads(ours);
    let (x_burn, w_burn, b_burn) = grads(burns);
    let scale = w_burn.clone().abs().max().into_scalar::<f32>().max(1.0);
    assert!(max_diff(x_ours, x_burn) < 1e-4, "input gradients differ");
    let diff = max_diff(w_ours, w_burn) / scale;
    assert!(diff < 1e-5, "weight gradients differ by {diff} (relative)");
    let diff = max_diff(b_ours, b_burn) / scale;
    assert!(diff < 1e-5, "bias gradients differ by {diff} (relative)");
}

#[test]
fn the_single_channel_conv_matches_burns_conv2d_and_its_gradients() {
    let d = Device::flex().autodiff();
    assert!(on_cpu(&d) && on_cpu(&Device::flex()));
    d.seed(11);
    let conv = Conv2dConfig::new([1, 8], [3, 3]).init(&d);
    assert!(single_channel_conv::applies(&conv));
    // Not square, so a swapped height and width would show.
    let x = Tensor::<4>::random([4, 1, 10, 9], Distribution::Default, &d);
    let r = Tensor::<4>::random([4, 8, 8, 7], Distribution::Default, &d);

    let ours = single_channel_conv::forward(&conv, x.clone());
    let burns = conv.forward(x);
    assert_eq!(ours.dims(), [4, 8, 8, 7]);
    let diff = max_diff(ours.clone(), burns.clone());
    assert!(diff < 1e-5, "forward differs by {diff}");

    let grad = |y: Tensor<4>, conv: &Conv2d| {
        let g = (y * r.clone()).sum().backward();
        let bias = conv.bias.as_ref().unwrap().val();
        (conv.weight.val().grad(&g).unwrap(), bias.grad(&g).unwrap())
    };
    let (w_ours, b_ours) = grad(ours, &conv);
    let (w_burn, b_burn) = grad(burns, &conv);
    assert!(max_diff(w_ours, w_burn) < 1e-4, "weight gradients differ");
    assert!(max_diff(b_ours, b_burn) < 1e-4, "bias gradients differ");
}

#[test]
fn the_single_channel_conv_only_claims_layers_it_computes() {
    let d = Device::flex();
    assert!(!single_channel_conv::applies(
        &Conv2dConfig::new([2, 8], [3, 3]).init(&d)
    ));
    assert!(!single_channel_conv::applies(
        &Conv2dConfig::new([1, 8], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&d)
    ));
    assert!(!single_channel_conv::applies(
        &Conv2dConfig::new([1, 8], [3, 3])
            .with_stride([2, 2])
            .init(&d)
    ));
}

#[test]
fn the_cpu_dropout_mask_keeps_the_right_share_scaled() {
    let n = 200_000;
    let m = dropout::mask(n, 0.75, 1);
    let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
    assert!((kept - 0.75).abs() < 0.005, "kept {kept}");
    assert!(m.iter().all(|&v| v == 0.0 || v == 1.0 / 0.75_f32));
    let mean = m.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    // A function of its seed: the same seed, the same mask; another seed, another.
    assert_eq!(m, dropout::mask(n, 0.75, 1));
    assert_ne!(m, dropout::mask(n, 0.75, 2));
    // Lengths that are not a multiple of the four draws per call.
    assert_eq!(dropout::mask(7, 0.5, 3).len(), 7);
}

#[test]
fn the_cpu_dropout_behaves_like_burns_layer() {
    let layer = DropoutConfig::new(0.5).init();
    // Eval (a device without autodiff): the identity.
    let plain = Tensor::<2>::ones([64, 100], &Device::flex());
    assert_eq!(
        max_diff(dropout::forward(&layer, plain.clone()), plain),
        0.0
    );

    // Training: each element dropped or doubled; the gradient is the same mask.
    let d = Device::flex().autodiff();
    let x = Tensor::<2>::ones([64, 100], &d).require_grad();
    let y = dropout::forward(&layer, x.clone());
    let values = y.clone().into_data().try_to_vec::<f32>().unwrap();
    assert!(values.iter().all(|&v| v == 0.0 || v == 2.0));
    let kept = values.iter().filter(|&&v| v == 2.0).count();
    assert!((2_600..3_800).contains(&kept), "kept {kept} of 6,400");
    let g = y.clone().sum().backward();
    let dx = x.grad(&g).unwrap();
    assert_eq!(max_diff(dx, y.inner()), 0.0);
    // Two calls draw two masks.
    let again = dropout::forward(&layer, x)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_ne!(values, again);
}

#[test]
fn the_max_pool_matches_burns_max_pool2d_and_its_gradient() {
    use burn::nn::pool::MaxPool2dConfig;
    let pool = MaxPool2dConfig::new([2, 2]).init();
    assert!(max_pool::applies(&pool));
    assert!(!max_pool::applies(&MaxPool2dConfig::new([3, 3]).init()));
    assert!(!max_pool::applies(
        &MaxPool2dConfig::new([2, 2]).with_strides([1, 1]).init()
    ));
    let plain = Device::flex();
    let d = plain.clone().autodiff();
    d.seed(12);
    // Even and odd sizes (the teacher pools 26x26 and 11x11), not square.
    for [h, w] in [[26, 26], [11, 11], [6, 9]] {
        // Inference (no autodiff): the same values.
        let x = Tensor::<4>::random([3, 5, h, w], Distribution::Default, &plain);
        let ours = max_pool::forward(&pool, x.clone());
        let burns = pool.forward(x);
        assert_eq!(ours.dims(), burns.dims());
        assert_eq!(max_diff(ours, burns), 0.0, "{h}x{w} inference");

        // Training: the same values, and the gradient lands on the same positions.
        let x = Tensor::<4>::random([3, 5, h, w], Distribution::Default, &d).require_grad();
        let r = Tensor::<4>::random([3, 5, h / 2, w / 2], Distribution::Default, &d);
        let grad = |y: Tensor<4>| x.grad(&(y * r.clone()).sum().backward()).unwrap();
        let ours = max_pool::forward(&pool, x.clone());
        let burns = pool.forward(x.clone());
        assert_eq!(
            max_diff(ours.clone(), burns.clone()),
            0.0,
            "{h}x{w} training"
        );
        assert_eq!(max_diff(grad(ours), grad(burns)), 0.0, "{h}x{w} gradient");
    }
    // Too small for one window: what burn's layer gives, in training too.
    let x = Tensor::<4>::random([2, 3, 1, 5], Distribution::Default, &d).require_grad();
    let gradient = |y: Tensor<4>| x.grad(&y.sum().backward()).unwrap();
    let ours = gradient(max_pool::forward(&pool, x.clone()));
    assert_eq!(max_diff(ours, gradient(pool.forward(x.clone()))), 0.0);
}

#[test]
fn the_max_pool_keeps_a_nan_as_burns_does() {
    use burn::nn::pool::MaxPool2dConfig;
    let pool = MaxPool2dConfig::new([2, 2]).init();
    // One NaN among numbers, in the second, third and fourth place of a window: the fast path
    // would drop it.
    let nan = f32::NAN;
    let values = [
        [1.0, nan, 2.0, 0.0], // row 0
        [0.0, 0.0, nan, 5.0], // row 1
        [3.0, 1.0, 4.0, 4.0], // row 2
        [nan, 2.0, 1.0, 9.0], // row 3
    ];
    for device in [Device::flex(), Device::flex().autodiff()] {
        let x = Tensor::<2>::from_data(values, &device).reshape([1, 1, 4, 4]);
        let ours = max_pool::forward(&pool, x.clone())
            .into_data()
            .try_to_vec::<f32>();
        let burns = pool.forward(x).into_data().try_to_vec::<f32>();
        let (ours, burns) = (ours.unwrap(), burns.unwrap());
        assert!(
            ours[0].is_nan() && ours[1].is_nan() && ours[2].is_nan(),
            "{ours:?}"
        );
        assert_eq!(ours[3], 9.0);
        assert_eq!(
            ours.iter().map(|v| v.is_nan()).collect::<Vec<_>>(),
            burns.iter().map(|v| v.is_nan()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_multi_channel_conv_matches_burns_conv2d_and_its_gradients() {
    let d = Device::flex().autodiff();
    d.seed(13);
    // Small and not square (a swapped height and width would show); then the teacher's second
    // convolution's input size over a batch whose weight gradient goes in two chunks.
    for ([batch, channels, h, w], out) in [([4, 6, 10, 9], 7), ([130, 64, 13, 13], 8)] {
        let conv = Conv2dConfig::new([channels, out], [3, 3]).init(&d);
        assert!(multi_channel_conv::applies(&conv));
        let x = Tensor::<4>::random([batch, channels, h, w], Distribution::Default, &d);
        let x = x.require_grad();
        let r = Tensor::<4>::random([batch, out, h - 2, w - 2], Distribution::Default, &d);

        let ours = multi_channel_conv::forward(&conv, x.clone());
        let burns = conv.forward(x.clone());
        assert_eq!(ours.dims(), [batch, out, h - 2, w - 2]);
        let diff = max_diff(ours.clone(), burns.clone());
        assert!(diff < 1e-5, "forward differs by {diff}");

        assert_same_gradients(&conv, &x, &r, ours, burns);
    }
}

#[test]
fn the_multi_channel_conv_only_claims_layers_it_computes() {
    let d = Device::flex();
    let config = || Conv2dConfig::new([4, 8], [3, 3]);
    assert!(!multi_channel_conv::applies(
        &config().with_padding(PaddingConfig2d::Same).init(&d)
    ));
    assert!(!multi_channel_conv::applies(
        &config().with_stride([2, 2]).init(&d)
    ));
    assert!(!multi_channel_conv::applies(
        &config().with_bias(false).init(&d)
    ));
    assert!(!multi_channel_conv::applies(
        &config().with_groups(2).init(&d)
    ));
}

/// burn's layers for what `conv_relu_pool` computes in one pass.
fn conv_relu_pool_by_layers(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let pool = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init();
    pool.forward(burn::tensor::activation::relu(conv.forward(x)))
}

#[test]
fn the_fused_conv_relu_pool_matches_burns_three_layers_and_their_gradients() {
    let plain = Device::flex();
    let d = plain.clone().autodiff();
    d.seed(14);
    // Not square, with an odd convolution output (the pool drops its last row and column),
    // channels that are not whole groups of lanes, and a batch the backward pass splits into
    // uneven parts; then the teacher's own first block.
    for ([batch, h, w], out) in [([11, 10, 9], 12), ([20, 28, 28], 64)] {
        let conv = Conv2dConfig::new([1, out], [3, 3]).init(&d);
        let pool = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init();
        assert!(conv_relu_pool::applies(&conv, &pool));
        let shape = [batch, out, (h - 2) / 2, (w - 2) / 2];

        // Inference (no autodiff): the same values.
        let eval = conv.valid();
        let x = Tensor::<4>::random([batch, 1, h, w], Distribution::Default, &plain);
        let ours = conv_relu_pool::forward(&eval, x.clone()).expect("applies on the CPU");
        assert_eq!(ours.dims(), shape);
        let diff = max_diff(ours, conv_relu_pool_by_layers(&eval, x));
        assert!(diff < 1e-5, "{h}x{w} inference differs by {diff}");

        // Training: values and the gradients of the input, weights and bias.
        let x = Tensor::<4>::random([batch, 1, h, w], Distribution::Default, &d).require_grad();
        let r = Tensor::<4>::random(shape, Distribution::Default, &d);
        let ours = conv_relu_pool::forward(&conv, x.clone()).expect("applies on the CPU");
        let burns = conv_relu_pool_by_layers(&conv, x.clone());
        let diff = max_diff(ours.clone(), burns.clone());
        assert!(diff < 1e-5, "{h}x{w} training differs by {diff}");
        assert_same_gradients(&conv, &x, &r, ours, burns);
    }
}

#[test]
fn the_fused_conv_relu_pool_keeps_a_nan_and_only_claims_blocks_it_computes() {
    use burn::nn::pool::MaxPool2dConfig;
    let d = Device::flex();
    d.seed(15);
    let conv = Conv2dConfig::new([1, 3], [3, 3]).init(&d);
    // One NaN pixel: every convolution output whose window covers it is NaN, and so is each
    // pooled output over those, as with burn's layers.
    let mut pixels = vec![0.5f32; 8 * 8];
    pixels[3 * 8 + 4] = f32::NAN;
    let x = Tensor::<1>::from_floats(pixels.as_slice(), &d).reshape([1, 1, 8, 8]);
    let nans = |y: Tensor<4>| {
        let v = y.into_data().try_to_vec::<f32>().unwrap();
        v.iter().map(|v| v.is_nan()).collect::<Vec<_>>()
    };
    let ours = nans(conv_relu_pool::forward(&conv, x.clone()).unwrap());
    assert_eq!(ours, nans(conv_relu_pool_by_layers(&conv, x)));
    assert_eq!(ours.iter().filter(|&&n| n).count(), 3 * 4, "{ours:?}");

    let pool = MaxPool2dConfig::new([2, 2]).init();
    assert!(!conv_relu_pool::applies(
        &Conv2dConfig::new([2, 3], [3, 3]).init(&d),
        &pool
    ));
    assert!(!conv_relu_pool::applies(
        &Conv2dConfig::new([1, 3], [3, 3]).with_bias(false).init(&d),
        &pool
    ));
    assert!(!conv_relu_pool::applies(
        &conv,
        &MaxPool2dConfig::new([3, 3]).init()
    ));
    // Too small for one pooled output: the caller runs burn's layers, which say why.
    let tiny = Tensor::<4>::zeros([1, 1, 3, 3], &d);
    assert!(conv_relu_pool::forward(&conv, tiny).is_none());
}
