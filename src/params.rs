//! [`Params`]: a set of arrays visited in a fixed order.
//!
//! Optimizers and regularizers take parameter and gradient sets through these
//! traits, so one call accepts a single array, a tuple of arrays of different
//! dimensions, or a slice / `Vec` of arrays, with no `into_dyn` at the call
//! site:
//!
//! ```
//! use ndarray::{array, Array1, Array2};
//! use ndloss::prelude::*;
//!
//! let mut w = Array2::<f64>::zeros((2, 3));
//! let mut b = Array1::<f64>::zeros(2);
//! let (gw, gb) = (Array2::<f64>::ones((2, 3)), Array1::<f64>::ones(2));
//! let mut sgd = Sgd::new(0.1);
//! sgd.step(&mut w, &gw)?;                           // one array
//! sgd.step((&mut w, &mut b), (&gw, &gb))?;          // a tuple (separate state slots)
//! let mut layers = vec![Array1::<f64>::zeros(3), Array1::zeros(5)];
//! let grads = vec![Array1::<f64>::ones(3), Array1::ones(5)];
//! Sgd::new(0.1).step(&mut layers, &grads)?;         // a Vec (or slice)
//! assert_eq!(layers[1][0], -0.1);
//! # Ok::<(), ndloss::Error>(())
//! ```
//!
//! For a model struct, implement [`Params`] for `&Model` and [`ParamsMut`] for
//! `&mut Model`, returning each field's view in a fixed order.

use ndarray::{ArrayBase, ArrayRef, ArrayViewD, ArrayViewMutD, Data, DataMut, Dimension};

/// A read-only set of arrays, visited by index `0..num_slots()` in a fixed order.
///
/// The order defines the *slots* an optimizer keeps state for: the same
/// parameter must be at the same index at every step.
///
/// # Examples
///
/// ```
/// use ndarray::{array, ArrayViewD};
/// use ndloss::params::Params;
///
/// let (w, b) = (array![[1.0_f32, 2.0]], array![3.0_f32]);
/// let set = (&w, &b);
/// assert_eq!(set.num_slots(), 2);
/// assert_eq!(set.slot(1).shape(), &[1]);
/// ```
pub trait Params<A> {
    /// Number of arrays (slots) in the set.
    fn num_slots(&self) -> usize;
    /// Array `i` as a dynamic-dimensional view; called only with `i < num_slots()`.
    fn slot(&self, i: usize) -> ArrayViewD<'_, A>;
}

/// A set of arrays that can be written in place (parameters being updated,
/// gradients being accumulated into).
///
/// Implemented for sets whose writes reach the caller's arrays: `&mut`
/// references and mutable views ([`WriteThrough`]) alone or in tuples,
/// arrays and `Vec`s, and `&mut` slices and `&mut Vec`s of any [`SlotMut`].
/// An owned array by value is not a `ParamsMut`: the update would be
/// dropped with it.
///
/// ```compile_fail
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (w, g) = (array![1.0_f64, 2.0], array![0.5_f64, 0.5]);
/// Sgd::new(0.1).step(w.clone(), &g)?; // does not compile: the clone would be updated and dropped
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::params::ParamsMut;
///
/// let (mut w, mut b) = (array![1.0_f64, 2.0], array![3.0_f64]);
/// let mut set = (&mut w, &mut b);
/// set.slot_mut(0).fill(0.0);
/// assert_eq!(w, array![0.0, 0.0]);
/// ```
pub trait ParamsMut<A>: Params<A> {
    /// Array `i` as a mutable dynamic-dimensional view; called only with `i < num_slots()`.
    fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A>;
}

/// One array, however it is held: owned, a view, or a reference to either.
///
/// This is the element type of the tuple, slice and `Vec` implementations of
/// [`Params`]; it is implemented for `ArrayBase<S, D>`, `&ArrayBase<S, D>`,
/// `&mut ArrayBase<S, D>`, `&ArrayRef<A, D>` and `&mut ArrayRef<A, D>`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::params::Slot;
///
/// let a = array![[1.0_f32, 2.0]];
/// assert_eq!((&a).slot_view().ndim(), 2);
/// ```
pub trait Slot {
    /// The element type.
    type Elem;
    /// The array as a dynamic-dimensional view.
    fn slot_view(&self) -> ArrayViewD<'_, Self::Elem>;
}

/// A [`Slot`] that can be written.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::params::SlotMut;
///
/// let mut a = array![1.0_f32, 2.0];
/// (&mut a).slot_view_mut().fill(5.0);
/// assert_eq!(a, array![5.0, 5.0]);
/// ```
pub trait SlotMut: Slot {
    /// The array as a mutable dynamic-dimensional view.
    fn slot_view_mut(&mut self) -> ArrayViewMutD<'_, Self::Elem>;
}

/// A [`SlotMut`] whose writes reach an array the caller keeps: `&mut
/// ArrayBase`, `&mut ArrayRef` and mutable views (`ArrayViewMut`), not an
/// owned array. Sets held by value (one array, a tuple, an array or a `Vec`
/// of them) are [`ParamsMut`] only with such elements.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::params::{ParamsMut, WriteThrough};
///
/// fn zero<T: WriteThrough<Elem = f64>>(mut slot: T) {
///     slot.slot_mut(0).fill(0.0);
/// }
/// let mut a = array![1.0_f64, 2.0];
/// zero(a.view_mut());
/// assert_eq!(a, array![0.0, 0.0]);
/// ```
pub trait WriteThrough: SlotMut {}

impl<S: DataMut, D: Dimension> WriteThrough for &mut ArrayBase<S, D> {}
impl<A, D: Dimension> WriteThrough for &mut ArrayRef<A, D> {}
impl<A, D: Dimension> WriteThrough for ArrayBase<ndarray::ViewRepr<&mut A>, D> {}

impl<S: Data, D: Dimension> Slot for ArrayBase<S, D> {
    type Elem = S::Elem;
    fn slot_view(&self) -> ArrayViewD<'_, S::Elem> {
        ArrayRef::view(self).into_dyn()
    }
}
impl<S: Data, D: Dimension> Slot for &ArrayBase<S, D> {
    type Elem = S::Elem;
    fn slot_view(&self) -> ArrayViewD<'_, S::Elem> {
        ArrayRef::view(self).into_dyn()
    }
}
impl<S: Data, D: Dimension> Slot for &mut ArrayBase<S, D> {
    type Elem = S::Elem;
    fn slot_view(&self) -> ArrayViewD<'_, S::Elem> {
        ArrayRef::view(self).into_dyn()
    }
}
impl<A, D: Dimension> Slot for &ArrayRef<A, D> {
    type Elem = A;
    fn slot_view(&self) -> ArrayViewD<'_, A> {
        ArrayRef::view(self).into_dyn()
    }
}
impl<A, D: Dimension> Slot for &mut ArrayRef<A, D> {
    type Elem = A;
    fn slot_view(&self) -> ArrayViewD<'_, A> {
        ArrayRef::view(self).into_dyn()
    }
}
impl<S: DataMut, D: Dimension> SlotMut for ArrayBase<S, D> {
    fn slot_view_mut(&mut self) -> ArrayViewMutD<'_, S::Elem> {
        ArrayRef::view_mut(self).into_dyn()
    }
}
impl<S: DataMut, D: Dimension> SlotMut for &mut ArrayBase<S, D> {
    fn slot_view_mut(&mut self) -> ArrayViewMutD<'_, S::Elem> {
        ArrayRef::view_mut(self).into_dyn()
    }
}
impl<A, D: Dimension> SlotMut for &mut ArrayRef<A, D> {
    fn slot_view_mut(&mut self) -> ArrayViewMutD<'_, A> {
        ArrayRef::view_mut(self).into_dyn()
    }
}

impl<T: Slot> Params<T::Elem> for T {
    fn num_slots(&self) -> usize {
        1
    }
    fn slot(&self, _: usize) -> ArrayViewD<'_, T::Elem> {
        self.slot_view()
    }
}
impl<T: WriteThrough> ParamsMut<T::Elem> for T {
    fn slot_mut(&mut self, _: usize) -> ArrayViewMutD<'_, T::Elem> {
        self.slot_view_mut()
    }
}

macro_rules! tuple_params {
    ($len:expr; $($t:ident $i:tt),+) => {
        impl<A, $($t: Slot<Elem = A>),+> Params<A> for ($($t,)+) {
            fn num_slots(&self) -> usize {
                $len
            }
            fn slot(&self, i: usize) -> ArrayViewD<'_, A> {
                match i {
                    $($i => self.$i.slot_view(),)+
                    _ => unreachable!("slot {i} of a {}-tuple", $len),
                }
            }
        }
        impl<A, $($t: WriteThrough<Elem = A>),+> ParamsMut<A> for ($($t,)+) {
            fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A> {
                match i {
                    $($i => self.$i.slot_view_mut(),)+
                    _ => unreachable!("slot {i} of a {}-tuple", $len),
                }
            }
        }
    };
}
tuple_params!(1; T0 0);
tuple_params!(2; T0 0, T1 1);
tuple_params!(3; T0 0, T1 1, T2 2);
tuple_params!(4; T0 0, T1 1, T2 2, T3 3);
tuple_params!(5; T0 0, T1 1, T2 2, T3 3, T4 4);
tuple_params!(6; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5);
tuple_params!(7; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6);
tuple_params!(8; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7);
tuple_params!(9; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8);
tuple_params!(10; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9);
tuple_params!(11; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9, T10 10);
tuple_params!(12; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9, T10 10, T11 11);

macro_rules! seq_params {
    ($($ty:ty),+) => {$(
        impl<A, T: Slot<Elem = A>> Params<A> for $ty {
            fn num_slots(&self) -> usize {
                <[T]>::len(self)
            }
            fn slot(&self, i: usize) -> ArrayViewD<'_, A> {
                self[i].slot_view()
            }
        }
    )+};
}
seq_params!(&[T], &mut [T], &Vec<T>, &mut Vec<T>, Vec<T>);

macro_rules! seq_params_mut {
    ($($ty:ty),+) => {$(
        impl<A, T: SlotMut<Elem = A>> ParamsMut<A> for $ty {
            fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A> {
                self[i].slot_view_mut()
            }
        }
    )+};
}
seq_params_mut!(&mut [T], &mut Vec<T>);

impl<A, T: WriteThrough<Elem = A>> ParamsMut<A> for Vec<T> {
    fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A> {
        self[i].slot_view_mut()
    }
}

impl<A, T: Slot<Elem = A>, const N: usize> Params<A> for [T; N] {
    fn num_slots(&self) -> usize {
        N
    }
    fn slot(&self, i: usize) -> ArrayViewD<'_, A> {
        self[i].slot_view()
    }
}
impl<A, T: WriteThrough<Elem = A>, const N: usize> ParamsMut<A> for [T; N] {
    fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A> {
        self[i].slot_view_mut()
    }
}

// A set behind `dyn`, as `DynOptimizer` hands it to a concrete optimizer.
impl<A> Params<A> for &dyn Params<A> {
    fn num_slots(&self) -> usize {
        (**self).num_slots()
    }
    fn slot(&self, i: usize) -> ArrayViewD<'_, A> {
        (**self).slot(i)
    }
}

impl<A> Params<A> for &mut dyn ParamsMut<A> {
    fn num_slots(&self) -> usize {
        (**self).num_slots()
    }
    fn slot(&self, i: usize) -> ArrayViewD<'_, A> {
        (**self).slot(i)
    }
}

impl<A> ParamsMut<A> for &mut dyn ParamsMut<A> {
    fn slot_mut(&mut self, i: usize) -> ArrayViewMutD<'_, A> {
        (**self).slot_mut(i)
    }
}
