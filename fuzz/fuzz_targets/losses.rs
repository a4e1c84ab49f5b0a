//! Every loss on arbitrary shapes, values and options: must return a value
//! or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{Array1, ArrayD, IxDyn};
use ndloss::prelude::*;

#[path = "input.rs"]
mod input;
use input::Input;

fn dense<L: Loss<f64, IxDyn, Unreduced = IxDyn> + WeightedLoss<f64, IxDyn>>(
    l: &L,
    p: &ArrayD<f64>,
    t: &ArrayD<f64>,
    w: &ArrayD<f64>,
) {
    let _ = l.forward(p, t);
    let _ = l.unreduced(p, t);
    let mut g = ArrayD::zeros(p.raw_dim());
    let _ = l.forward_grad_into(p, t, &mut g);
    let _ = l.forward_grad_weighted_into(p, t, w, &mut g);
}

/// Any array as a matrix (rows of its last axis; 0-d as 1×1).
fn to2(a: &ArrayD<f64>) -> ndarray::Array2<f64> {
    let cols = a.shape().last().copied().unwrap_or(1).max(1);
    let rows = a.len() / cols;
    ndarray::Array2::from_shape_vec((rows, cols), a.iter().copied().take(rows * cols).collect())
        .expect("sizes agree")
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let shape = input.shape();
    let p = input.array(&shape);
    let tshape = if input.bool() {
        shape.clone()
    } else {
        input.shape()
    };
    let t = input.array(&tshape);
    let wshape = if input.bool() {
        shape.clone()
    } else {
        input.shape()
    };
    let w = input.array(&wshape);
    let r = [Reduction::Mean, Reduction::Sum, Reduction::BatchMean][input.below(3)];
    let k = input.f64();
    match input.below(21) {
        0 => dense(&Mse::new().reduction(r), &p, &t, &w),
        1 => dense(&Mae::new().reduction(r), &p, &t, &w),
        2 => dense(&Huber::new().delta(k).reduction(r), &p, &t, &w),
        3 => dense(&SmoothL1::new().beta(k).reduction(r), &p, &t, &w),
        4 => dense(&LogCosh::new().reduction(r), &p, &t, &w),
        5 => dense(&Msle::new().reduction(r), &p, &t, &w),
        6 => dense(&Mape::new().reduction(r), &p, &t, &w),
        7 => dense(&Quantile::new().tau(k).reduction(r), &p, &t, &w),
        8 => dense(
            &PoissonNll::new()
                .eps(k)
                .full(input.bool())
                .log_input(input.bool())
                .reduction(r),
            &p,
            &t,
            &w,
        ),
        9 => dense(
            &KlDiv::new().log_target(input.bool()).reduction(r),
            &p,
            &t,
            &w,
        ),
        10 => dense(&Bce::new().reduction(r), &p, &t, &w),
        11 => {
            let c = input.below(5);
            let pw = Array1::from_shape_fn(c, |_| k);
            dense(
                &BceWithLogits::new().pos_weights(pw).reduction(r),
                &p,
                &t,
                &w,
            );
        }
        12 => dense(
            &SigmoidFocal::new()
                .alpha(Some(k))
                .gamma(input.f64())
                .reduction(r),
            &p,
            &t,
            &w,
        ),
        13 => dense(&Hinge::new().reduction(r), &p, &t, &w),
        14 => dense(&SoftMargin::new().reduction(r), &p, &t, &w),
        15 => dense(&HingeEmbedding::new().margin(k).reduction(r), &p, &t, &w),
        16 => {
            // Boxes and the multi-input losses take fixed ranks.
            let (p2, t2) = (to2(&p), to2(&t));
            let mut g = p2.clone();
            let _ = GiouLoss::new()
                .eps(k)
                .reduction(r)
                .forward_grad_into(&p2, &t2, &mut g);
            let _ = CiouLoss::new()
                .reduction(r)
                .forward_grad_into(&p2, &t2, &mut g);
            let _ = DiouLoss::new().unreduced(&p2, &t2);
            let _ = IouLoss::new().forward(&p2, &t2);
            let y =
                ndarray::Array1::from_shape_fn(p2.nrows(), |i| if i % 2 == 0 { 1.0 } else { -1.0 });
            let _ = CosineEmbedding::new()
                .margin(k)
                .reduction(r)
                .forward_grad(&p2, &t2, &y);
            let _ = TripletMargin::new()
                .margin(k)
                .p(input.f64())
                .swap(input.bool())
                .forward_grad(&p2, &t2, &to2(&w));
        }
        17 => {
            let _ = MarginRanking::new()
                .margin(k)
                .reduction(r)
                .forward_grad(&p, &t, &w);
            let _ = GaussianNll::new()
                .eps(k)
                .full(input.bool())
                .reduction(r)
                .forward_grad(&p, &t, &w);
        }
        18 => {
            use ndloss::metrics;
            let yt = input
                .indices(&[p.len()], 3)
                .into_dimensionality::<ndarray::Ix1>()
                .unwrap();
            let len = if input.bool() {
                p.len()
            } else {
                input.below(5)
            };
            let yp = input
                .indices(&[len], 3)
                .into_dimensionality::<ndarray::Ix1>()
                .unwrap();
            let sw = ndarray::Array1::from_shape_fn(yt.len(), |_| k);
            let sw: Option<&ndarray::ArrayRef1<f64>> = if input.bool() { Some(&*sw) } else { None };
            let _ = metrics::accuracy(&yt, &yp, sw);
            let opts = PrfOptions::new().beta(input.f64()).average(
                [
                    Average::Micro,
                    Average::Macro,
                    Average::Weighted,
                    Average::None,
                    Average::Binary { pos_label: 1 },
                ][input.below(5)],
            );
            let _ = metrics::precision_recall_fscore(&yt, &yp, sw, &opts);
            let _ = metrics::confusion_matrix(&yt, &yp, None, sw, Some(Normalize::True));
            let _ = metrics::log_loss(&yt, &to2(&p), sw, None);
            let _ = metrics::top_k_accuracy(&yt, &to2(&p), input.below(4), sw);
            let _ = metrics::r2_score(
                &p.iter().copied().collect::<ndarray::Array1<f64>>(),
                &t.iter().copied().collect::<ndarray::Array1<f64>>(),
                None,
            );
        }
        _ => {
            let classes = p
                .shape()
                .get(if p.ndim() >= 2 { 1 } else { 0 })
                .copied()
                .unwrap_or(0);
            let y = input.indices(&tshape, classes);
            let mut ce = CrossEntropy::new()
                .label_smoothing(k)
                .reduction(r)
                .from_probs(input.bool());
            if input.bool() {
                ce = ce.ignore_index(input.below(6));
            }
            if input.bool() {
                ce = ce.class_weights(Array1::from_shape_fn(input.below(5), |_| k.abs()));
            }
            let mut g = ArrayD::zeros(p.raw_dim());
            let _ = ce.forward_grad_into(&p, &y, &mut g);
            let _ = ce.unreduced(&p, &y);
            let _ = ce.forward_grad_into(&p, &t, &mut g);
            let _ = Nll::new().reduction(r).forward_grad_into(&p, &y, &mut g);
            let _ = MultiMargin::new()
                .p(input.below(3) as u32)
                .margin(k)
                .forward_grad_into(&p, &y, &mut g);
        }
    }
});
