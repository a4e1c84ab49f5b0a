//! Turns fuzzer bytes into shapes, values and options.

use ndarray::{ArrayD, IxDyn};

pub struct Input<'a>(pub &'a [u8]);

impl Input<'_> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.u8() as usize % n
        }
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// Special values half the time, raw bit patterns otherwise.
    pub fn f64(&mut self) -> f64 {
        const SPECIAL: [f64; 12] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e-300,
            1e30,
            -1e30,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE / 8.0,
        ];
        let tag = self.u8();
        if tag < 128 {
            return SPECIAL[tag as usize % SPECIAL.len()];
        }
        let mut bits = [0u8; 8];
        for b in &mut bits {
            *b = self.u8();
        }
        f64::from_le_bytes(bits)
    }

    pub fn shape(&mut self) -> Vec<usize> {
        let ndim = self.below(4);
        (0..ndim).map(|_| self.below(5)).collect()
    }

    pub fn array(&mut self, shape: &[usize]) -> ArrayD<f64> {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| self.f64()).collect();
        ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape matches its length")
    }

    pub fn indices(&mut self, shape: &[usize], classes: usize) -> ArrayD<usize> {
        ArrayD::from_shape_fn(IxDyn(shape), |_| {
            let b = self.u8();
            if b == 255 {
                usize::MAX
            } else {
                b as usize % (classes + 2)
            }
        })
    }
}
