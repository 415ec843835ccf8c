//! `--storage gcs://[BUCKET[/PREFIX]]`: the Google Cloud Storage store and its
//! credential.
//!
//! The credential is a service account's JSON key in `--storage-key-file`;
//! without one, application default credentials: the file
//! `GOOGLE_APPLICATION_CREDENTIALS` names, else gcloud's
//! `application_default_credentials.json`, else the metadata server of a
//! Compute Engine VM, Cloud Run or a GKE pod with Workload Identity.
//!
//! `gcs://` (the buckets as folders) needs the project they belong to:
//! `--gcs-project`, else the key's `project_id`. GCS lists buckets per
//! project, so without one there is nothing to list and the start fails
//! saying so.

use anyhow::{Context, Result, bail};
use wharf_blob::{GcsAuth, Store, View};

use crate::storage::StorageAccess;

impl StorageAccess {
    /// The GCS store for `view`, signed as the settings say.
    pub(crate) fn gcs_store(&self, view: &View) -> Result<Store> {
        let (auth, key_project) = match &self.key_file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read the key file {}", file.display()))?;
                let key: serde_json::Value = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "the key file {} is no GCS service account key (JSON)",
                        file.display()
                    )
                })?;
                let project = key
                    .get("project_id")
                    .and_then(|p| p.as_str())
                    .map(str::to_owned);
                (GcsAuth::KeyFile(file.clone()), project)
            }
            None => (GcsAuth::ApplicationDefault, None),
        };
        let project = self.gcs_project.clone().or(key_project);
        if *view == View::Account && project.is_none() {
            bail!(
                "--storage gcs:// shows a project's buckets: name the project (--gcs-project, or \
                 [gcs] project), or serve one bucket with gcs://BUCKET"
            );
        }
        let endpoint = self
            .gcs_endpoint
            .clone()
            .unwrap_or_else(|| wharf_blob::gcs::DEFAULT_ENDPOINT.to_owned());
        Ok(Store::gcs_at(endpoint, project, auth))
    }
}
