//! The emulator's state: per project, its secrets (with versions, stages and tags), events,
//! notification records, rotation tasks, grants and settings. All of it is serde, so that
//! [`crate::persist`] can write it to disk as one JSON document.

use csms_core::{Event, Record, SecretTask, VersionMetadata};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The stage a new version takes by default.
pub(crate) const SYSCURRENT: &str = "SYSCURRENT";
/// The stage the version that was SYSCURRENT takes when SYSCURRENT moves.
pub(crate) const SYSPREVIOUS: &str = "SYSPREVIOUS";
/// Records and tasks kept per project (the oldest are dropped).
pub(crate) const HISTORY_LIMIT: usize = 1000;

/// Everything the emulator holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    /// Identifies the file format.
    #[serde(default)]
    pub format: String,
    /// State by project id.
    #[serde(default)]
    pub projects: BTreeMap<String, Project>,
}

/// The format written in data files.
pub(crate) const FORMAT: &str = "csms-emulator/1";

/// How many changing calls were applied to one secret (successful calls only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedCounts {
    /// Successful `RotateSecret` calls.
    pub rotate_secret: u64,
    /// Successful `CreateSecretVersion` calls.
    pub create_secret_version: u64,
}

/// One project's state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Project {
    /// Secrets by name.
    pub secrets: BTreeMap<String, SecretRecord>,
    /// Events by name.
    pub events: BTreeMap<String, Event>,
    /// Notifications "sent" when subscribed events fired, oldest first.
    pub notification_records: Vec<Record>,
    /// Rotation tasks, oldest first.
    pub tasks: Vec<SecretTask>,
    /// Grants.
    pub grants: Vec<GrantRecord>,
    /// Secret types (RDS-FG, GaussDB-FG) whose agencies were created.
    pub agencies: BTreeSet<String>,
    /// The secret strength check setting.
    pub checking_secret_strength: bool,
}

/// A secret and everything that hangs off it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SecretRecord {
    pub id: String,
    pub name: String,
    pub state: String,
    pub kms_key_id: String,
    pub description: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
    pub scheduled_delete_time: Option<i64>,
    pub secret_type: String,
    pub auto_rotation: bool,
    pub rotation_period: Option<String>,
    pub rotation_config: Option<String>,
    pub rotation_time: Option<i64>,
    pub next_rotation_time: Option<i64>,
    pub event_subscriptions: Vec<String>,
    pub enterprise_project_id: String,
    pub rotation_func_urn: Option<String>,
    /// Versions, oldest first.
    pub versions: Vec<VersionRecord>,
    /// The number of the next version (`v{n}`).
    pub next_version: u64,
    /// Which version carries each stage.
    pub stages: BTreeMap<String, StageRecord>,
    /// Tags, in the order they were added.
    pub tags: Vec<TagPair>,
    /// Applied RotateSecret / CreateSecretVersion calls.
    pub applied: AppliedCounts,
}

/// One version of a secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct VersionRecord {
    pub id: String,
    pub secret_string: Option<String>,
    pub secret_binary: Option<String>,
    pub create_time: i64,
    pub expire_time: Option<i64>,
    pub kms_key_id: String,
}

/// Where a stage points.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct StageRecord {
    pub version_id: String,
    pub update_time: i64,
}

/// A tag of a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TagPair {
    pub key: String,
    pub value: String,
}

/// A grant of a secret (or secret group) to a user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct GrantRecord {
    pub uuid: String,
    pub resource_id: String,
    pub resource_type: String,
    pub grantee_type: String,
    pub grantee: String,
    pub create_time: i64,
    pub update_time: i64,
    pub validity_time: Option<i64>,
}

/// A secret's value: text or base64 binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretValue {
    /// `secret_string`.
    Text(String),
    /// `secret_binary` (base64 text).
    Binary(String),
}

impl SecretRecord {
    /// The core's model of this secret.
    pub(crate) fn to_model(&self) -> csms_core::Secret {
        csms_core::Secret {
            id: Some(self.id.clone()),
            name: Some(self.name.clone()),
            state: Some(self.state.clone()),
            kms_key_id: Some(self.kms_key_id.clone()),
            description: Some(self.description.clone().unwrap_or_default()),
            create_time: Some(self.create_time),
            update_time: Some(self.update_time),
            scheduled_delete_time: self.scheduled_delete_time,
            secret_type: Some(self.secret_type.clone()),
            auto_rotation: Some(self.auto_rotation),
            rotation_period: self.rotation_period.clone(),
            rotation_config: self.rotation_config.clone(),
            rotation_time: self.rotation_time,
            next_rotation_time: self.next_rotation_time,
            event_subscriptions: Some(self.event_subscriptions.clone()),
            enterprise_project_id: Some(self.enterprise_project_id.clone()),
            rotation_func_urn: self.rotation_func_urn.clone(),
        }
    }

    /// Whether the secret is waiting for its scheduled deletion.
    pub(crate) fn pending_delete(&self) -> bool {
        self.state == "PENDING_DELETE"
    }

    /// The stages on `version_id`, sorted.
    pub(crate) fn stages_of(&self, version_id: &str) -> Vec<String> {
        self.stages.iter().filter(|(_, s)| s.version_id == version_id).map(|(name, _)| name.clone()).collect()
    }

    /// The version called `id`; `latest` is the newest version.
    pub(crate) fn version(&self, id: &str) -> Option<&VersionRecord> {
        if id == "latest" {
            return self.versions.last();
        }
        self.versions.iter().find(|v| v.id == id)
    }

    /// The metadata of `version`, as the core models it.
    pub(crate) fn metadata(&self, version: &VersionRecord) -> VersionMetadata {
        VersionMetadata {
            id: Some(version.id.clone()),
            create_time: Some(version.create_time),
            expire_time: version.expire_time,
            kms_key_id: Some(version.kms_key_id.clone()),
            secret_name: Some(self.name.clone()),
            version_stages: Some(self.stages_of(&version.id)),
        }
    }

    /// Puts `stage` on `version_id`. When SYSCURRENT moves, the version that had it gets
    /// SYSPREVIOUS.
    pub(crate) fn move_stage(&mut self, stage: &str, version_id: &str, now: i64) {
        if stage == SYSCURRENT {
            if let Some(previous) = self.stages.get(SYSCURRENT).map(|s| s.version_id.clone()) {
                if previous != version_id {
                    self.stages.insert(SYSPREVIOUS.to_owned(), StageRecord { version_id: previous, update_time: now });
                }
            }
        }
        self.stages.insert(stage.to_owned(), StageRecord { version_id: version_id.to_owned(), update_time: now });
    }

    /// Adds a version holding `value`. It takes `stages`, or SYSCURRENT when none are given.
    /// Returns its id.
    pub(crate) fn add_version(
        &mut self,
        value: SecretValue,
        stages: Option<&[String]>,
        expire_time: Option<i64>,
        now: i64,
    ) -> String {
        self.next_version = self.next_version.max(self.versions.len() as u64 + 1);
        let id = format!("v{}", self.next_version);
        self.next_version += 1;
        let (secret_string, secret_binary) = match value {
            SecretValue::Text(t) => (Some(t), None),
            SecretValue::Binary(b) => (None, Some(b)),
        };
        self.versions.push(VersionRecord {
            id: id.clone(),
            secret_string,
            secret_binary,
            create_time: now,
            expire_time,
            kms_key_id: self.kms_key_id.clone(),
        });
        let default = [SYSCURRENT.to_owned()];
        for stage in stages.filter(|s| !s.is_empty()).unwrap_or(&default) {
            self.move_stage(stage, &id, now);
        }
        self.update_time = now;
        id
    }
}

impl Project {
    /// The secret called `name`.
    pub(crate) fn secret(&self, name: &str) -> Option<&SecretRecord> {
        self.secrets.get(name)
    }

    /// The name of the secret whose id is `id`.
    pub(crate) fn name_of_id(&self, id: &str) -> Option<String> {
        self.secrets.values().find(|s| s.id == id).map(|s| s.name.clone())
    }

    /// Records a notification for each enabled event that `secret_name` subscribes to and
    /// that reacts to `event_type`.
    pub(crate) fn notify(&mut self, secret_name: &str, event_type: &str, now: i64) {
        let Some(secret) = self.secrets.get(secret_name) else { return };
        let mut fired = Vec::new();
        for event_name in &secret.event_subscriptions {
            let Some(event) = self.events.get(event_name) else { continue };
            let enabled = event.state.as_deref() == Some("ENABLED");
            let reacts = event.event_types.as_ref().is_some_and(|t| t.iter().any(|t| t == event_type));
            if !(enabled && reacts) {
                continue;
            }
            let target = event.notification.clone().unwrap_or_default();
            fired.push(Record {
                event_name: Some(event_name.clone()),
                trigger_event_type: Some(event_type.to_owned()),
                create_time: Some(now),
                secret_name: Some(secret.name.clone()),
                secret_type: Some(secret.secret_type.clone()),
                notification_target_name: target.target_name.clone(),
                notification_target_id: target.target_id.clone(),
                notification_content: Some(format!(
                    "csms-emulator: event {event_type} on secret {} (no message is really sent)",
                    secret.name
                )),
                notification_status: Some("SUCCESS".to_owned()),
            });
        }
        self.notification_records.extend(fired);
        trim_history(&mut self.notification_records);
    }

    /// Records a rotation task.
    pub(crate) fn add_task(&mut self, task: SecretTask) {
        self.tasks.push(task);
        trim_history(&mut self.tasks);
    }

    /// Deletes the secrets whose scheduled deletion time has come. Returns whether any was.
    pub(crate) fn purge_expired(&mut self, now: i64) -> bool {
        let due: Vec<String> = self
            .secrets
            .values()
            .filter(|s| s.pending_delete() && s.scheduled_delete_time.is_some_and(|t| t <= now))
            .map(|s| s.name.clone())
            .collect();
        for name in &due {
            self.notify(name, "SECRET_DELETED", now);
            self.secrets.remove(name);
        }
        !due.is_empty()
    }
}

fn trim_history<T>(items: &mut Vec<T>) {
    if items.len() > HISTORY_LIMIT {
        let excess = items.len() - HISTORY_LIMIT;
        items.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_versions_take_syscurrent_and_push_the_old_one_to_sysprevious() {
        let mut s = SecretRecord { name: "s".into(), ..Default::default() };
        let v1 = s.add_version(SecretValue::Text("a".into()), None, None, 1);
        let v2 = s.add_version(SecretValue::Text("b".into()), None, None, 2);
        assert_eq!((v1.as_str(), v2.as_str()), ("v1", "v2"));
        assert_eq!(s.stages_of("v2"), ["SYSCURRENT"]);
        assert_eq!(s.stages_of("v1"), ["SYSPREVIOUS"]);
        let v3 = s.add_version(SecretValue::Binary("YQ==".into()), Some(&["CUSTOM".into()]), None, 3);
        assert_eq!(s.stages_of(&v3), ["CUSTOM"]);
        assert_eq!(s.stages_of("v2"), ["SYSCURRENT"]);
        assert_eq!(s.version("latest").unwrap().id, "v3");
        s.move_stage("SYSCURRENT", "v3", 4);
        assert_eq!(s.stages_of("v3"), ["CUSTOM", "SYSCURRENT"]);
        assert_eq!(s.stages_of("v2"), ["SYSPREVIOUS"]);
        assert!(s.stages_of("v1").is_empty());
    }
}
