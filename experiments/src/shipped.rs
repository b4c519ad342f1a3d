//! The configs shipped with the program (`experiments/configs/`), built in
//! so that they run on a fresh machine with nothing to download:
//! `xbarsim run` alone runs [`QUICKSTART`]; `xbarsim run --shipped NAME`
//! runs any of [`ALL`].

/// The default job: device → crossbar → SNN → table → figure in about two
/// minutes on two cores.
pub const QUICKSTART: &str = include_str!("../configs/quickstart.toml");

/// Every shipped config, as `(name, text)`; the name is the file's stem.
pub const ALL: &[(&str, &str)] = &[("quickstart", QUICKSTART)];

/// The text of shipped config `name`.
pub fn get(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
