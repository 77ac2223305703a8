//! NumPy `.npy` headers.
