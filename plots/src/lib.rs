//! # xbar-plots — publication figures from result tables
//!
//! This crate will draw line plots (mean ± std over repeats, several series,
//! log axes) and heatmaps from experiment result tables, as PNG and SVG sized
//! for a two-column paper, with plotters.
//!
//! It is empty until the experiments issue lands; the crate exists now so
//! that the workspace layout is visible from the start. It is the only crate
//! that will depend on plotters.
