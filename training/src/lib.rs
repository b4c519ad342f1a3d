//! # xbar-training — spiking networks on crossbar arrays
//!
//! This crate will hold the MNIST reader, leaky integrate-and-fire networks
//! trained with surrogate-gradient BPTT, hardware-aware noise injection,
//! mapping onto programmed arrays, evaluation over drift time and in-situ
//! training with device pulse updates.
//!
//! It is empty until the training issue lands; the crate exists now so that
//! the workspace layout is visible from the start.
