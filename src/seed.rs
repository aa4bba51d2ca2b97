//! `db seed` and the demo's workload: the simulator with a progress bar.

use hostlife::db::connect::Connector;
use hostlife::sim::{self, ProgressBar, SeedConfig, SeedError, SeedReport};

use crate::command_error::CommandError;

/// Seed with a progress bar (shown once seeding has taken a second).
pub fn seed(connector: &Connector, cfg: &SeedConfig) -> Result<SeedReport, CommandError> {
    let bar = ProgressBar::new();
    let report = sim::seed(connector, cfg, &|p| bar.report(p));
    bar.finish();
    report.map_err(|e| match e {
        SeedError::BadConfig(_) | SeedError::NotEmpty(_) => CommandError::Refused {
            message: e.to_string(),
            detail: serde_json::Value::Null,
        },
        SeedError::Connect(_) => CommandError::Connect(e.to_string()),
        other => CommandError::Failed(other.to_string()),
    })
}
