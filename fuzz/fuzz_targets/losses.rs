//! Every loss on arbitrary shapes, values and options: must return a value
//! or an error, never panic. The element-wise losses are the integration
//! tests' catalogue (`tests/it/catalogue.rs`), so a loss registered there is
//! fuzzed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{Array1, ArrayD};
use ndloss::prelude::*;

#[path = "input.rs"]
mod input;
use input::Input;

// The element-wise losses: the integration tests' catalogue.
#[path = "../../tests/it/catalogue.rs"]
mod catalogue;
use catalogue::{DenseLoss, Settings, CATALOGUE};

fn dense(l: &dyn DenseLoss<f64>, p: &ArrayD<f64>, t: &ArrayD<f64>, w: &ArrayD<f64>) {
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
    let n = CATALOGUE.len();
    match input.below(n + 6) {
        i if i < n => {
            // A catalogue loss, with drawn settings or its knob at `k`.
            let entry = &CATALOGUE[i];
            let u = [0; 3].map(|_| input.below(1000) as f64 / 1000.0);
            let s = Settings {
                u,
                reduction: r,
                last: input.below(5),
            };
            let loss = match (&entry.knob, input.bool()) {
                (Some(knob), true) => (knob.set)(k, &s),
                _ => (entry.make)(&s),
            };
            dense(loss.f64(), &p, &t, &w);
        }
        i if i == n => {
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
        i if i == n + 1 => {
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
        i if i == n + 4 => {
            // Keras' lane losses on any shapes and settings.
            let _ = CategoricalHinge::new().reduction(r).forward_grad(&p, &t);
            let _ = CosineSimilarity::new().eps(k).unreduced(&p, &t);
            let mut focal = CategoricalFocal::new()
                .gamma(input.f64())
                .alpha(k)
                .label_smoothing(input.f64())
                .from_logits(input.bool())
                .reduction(r);
            if input.bool() {
                focal = focal.alpha_per_class(&Array1::from_shape_fn(input.below(5), |_| k));
            }
            let mut g = ArrayD::zeros(p.raw_dim());
            let _ = focal.forward_grad_into(&p, &t, &mut g);
            let lanes = &shape[..shape.len().saturating_sub(1)];
            let yshape = if input.bool() {
                lanes.to_vec()
            } else {
                tshape.clone()
            };
            let y = input.indices(&yshape, 5);
            let gce = GeneralizedCrossEntropy::new().q(k).reduction(r);
            let _ = gce.forward_grad_into(&p, &y, &mut g);
            let _ = gce.unreduced(&p, &y);
            let _ = MulticlassHinge::new()
                .margin(k)
                .reduction(r)
                .forward_grad_into(&p, &y, &mut g);
            let _ = MulticlassPerceptron::new().unreduced(&p, &y);
            let _ = Sparsemax::new()
                .reduction(r)
                .forward_grad_into(&p, &y, &mut g);
            let _ = Sparsemax::new().unreduced(&p, &y);
            let _ = PolyLoss::new().epsilon(k).forward_grad_into(&p, &t, &mut g);
            let _ = GeneralizedKl::new()
                .reduction(r)
                .forward_grad_into(&p, &t, &mut g);
            let (p2, mut g2) = (to2(&p), to2(&p));
            let rows = p2.nrows() + input.below(2);
            let groups = input
                .indices(&[rows], 3)
                .into_dimensionality::<ndarray::Ix1>()
                .unwrap();
            let nt = NtXent::new().temperature(k).reduction(r);
            let _ = nt.forward_grad_into(&p2, &groups, &mut g2);
            let _ = nt.unreduced(&p2, &groups);
            let (t2, mut gt2) = (to2(&t), to2(&t));
            let clip = ClipLoss::new().reduction(r);
            let _ = clip.forward_grad_into(&p2, &t2, k, &mut g2, &mut gt2);
            let _ = clip.unreduced(&p2, &t2, k);
            let mut dice = Dice::tversky(k, input.f64())
                .smooth(input.f64())
                .input(
                    [
                        DiceInput::Softmax,
                        DiceInput::Sigmoid,
                        DiceInput::Probabilities,
                    ][input.below(3)],
                )
                .ignore_background(input.bool())
                .batch(input.bool())
                .channels_last(input.bool())
                .reduction(r);
            if input.bool() {
                dice = dice.generalized();
            }
            let _ = dice.forward_grad_into(&p, &t, &mut g);
            let _ = dice.unreduced(&p, &t);
        }
        i if i == n + 3 => {
            // CTC: any (T, N, C), lengths up to one past the array, classes up
            // to one past C, padded or concatenated, either layout.
            let (t_len, batch, classes) = (input.below(6), input.below(4), input.below(5));
            let lp = input.array(&[t_len, batch, classes]);
            let lp = lp.into_dimensionality::<ndarray::Ix3>().unwrap();
            let il: Vec<usize> = (0..batch + input.below(2))
                .map(|_| input.below(t_len + 2))
                .collect();
            let width = input.below(4);
            let tl: Vec<usize> = (0..batch).map(|_| input.below(width + 2)).collect();
            let ctc = Ctc::new()
                .blank(input.below(classes + 1))
                .zero_infinity(input.bool())
                .gradient([CtcGradient::PyTorch, CtcGradient::LogProbs][input.below(2)])
                .reduction(r);
            let mut g = ndarray::Array3::zeros(lp.raw_dim());
            if input.bool() {
                let padded = input
                    .indices(&[batch, width], classes + 1)
                    .into_dimensionality::<ndarray::Ix2>()
                    .unwrap();
                let _ = ctc.forward_grad_into(&lp, &padded, &il, &tl, &mut g);
                let _ = ctc.unreduced(&lp, &padded, &il, &tl);
            } else {
                let total = tl.iter().sum::<usize>() + input.below(2);
                let flat = input
                    .indices(&[total], classes + 1)
                    .into_dimensionality::<ndarray::Ix1>()
                    .unwrap();
                let _ = ctc.forward_grad_into(&lp, &flat, &il, &tl, &mut g);
                if batch > 0 {
                    // Unbatched (T, C): one length each, or the drawn ones.
                    let one = lp.index_axis(ndarray::Axis(1), 0);
                    let k = il.len().min(1 + input.below(2));
                    let _ = ctc.forward(&one, &flat, &il[..k], &tl[..1]);
                }
            }
        }
        i if i == n + 2 => {
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
            let _ = metrics::confusion_matrix(&yt, &yp, sw, None, Some(Normalize::True));
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
