//! `db seed` and the demo's workload: the simulator with a progress bar.

use hostlife::sim::{self, ProgressBar, SeedConfig, SeedError, SeedReport};

use crate::failure::Failure;

/// Seed with a progress bar (shown once seeding has taken a second).
pub fn seed(config: &hostlife::db::Config, cfg: &SeedConfig) -> Result<SeedReport, Failure> {
    let bar = ProgressBar::new();
    let report = sim::seed(config, cfg, &|p| bar.report(p));
    bar.finish();
    report.map_err(|e| match e {
        SeedError::Config(_) | SeedError::NotEmpty(_) => Failure::Refused {
            message: e.to_string(),
            detail: serde_json::Value::Null,
        },
        other => Failure::Failed(other.to_string()),
    })
}
