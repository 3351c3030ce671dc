//! Reads the TOML file and the environment into the core `Config`.

use std::path::Path;

use anyhow::Context;
use tessera_core::config::{Config, FileConfig};

/// `extra_env` lets a command supply defaults that the real environment still overrides.
pub fn load(path: Option<&Path>, extra_env: &[(String, String)]) -> anyhow::Result<Config> {
    let default_path = Path::new("tessera.toml");
    let path = path.or_else(|| default_path.exists().then_some(default_path));
    let file = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("config file {}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    for (key, value) in extra_env {
        if !env.iter().any(|(k, _)| k == key) {
            env.push((key.clone(), value.clone()));
        }
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(tessera_core::config::load(file, &env, cores)?)
}
