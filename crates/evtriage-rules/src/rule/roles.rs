//! Server roles a computer's logs can show (`data/roles.toml`), compiled
//! once into record matchers for the `role` check.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::compile::compile_matcher;
use super::matcher::Matcher;
use crate::spec::{MatchSpec, ServerRole};

const ROLES_TOML: &str = include_str!("../../data/roles.toml");

/// How far from the anchor a record showing the role may lie: any time the
/// logs cover (a server keeps its role for years; what counts is that the
/// logs show it).
const ROLE_WINDOW: &str = "36500d";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    role: Vec<RoleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    name: ServerRole,
    title: String,
    services: Vec<String>,
    images: Vec<String>,
    shows: Vec<MatchSpec>,
}

/// One role, compiled: the records that show it, and the process-table rows.
#[derive(Debug)]
pub(crate) struct RoleDef {
    pub role: ServerRole,
    /// How a sentence names it ("a domain controller").
    pub title: String,
    /// Service keys a process table may show it hosting.
    pub services: Vec<String>,
    /// Image names a process table may show running.
    pub images: Vec<String>,
    /// Record matchers (checks around the anchor, any distance).
    pub shows: Vec<Matcher>,
}

/// The built-in role table; the data file is part of the binary and checked by
/// a test, so a mistake in it is a build defect, reported as an error here.
fn table() -> Result<&'static [Arc<RoleDef>], String> {
    static TABLE: OnceLock<Result<Vec<Arc<RoleDef>>, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let file: RolesFile = toml::from_str(ROLES_TOML).map_err(|e| format!("data/roles.toml: {e}"))?;
            file.role
                .into_iter()
                .map(|r| {
                    let shows = r
                        .shows
                        .into_iter()
                        .map(|mut m| {
                            m.within = Some(ROLE_WINDOW.to_string());
                            m.direction = None;
                            compile_matcher(&m, true)
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("data/roles.toml: role {}: {e}", r.name.as_str()))?;
                    Ok(Arc::new(RoleDef {
                        role: r.name,
                        title: r.title,
                        services: r.services,
                        images: r.images,
                        shows,
                    }))
                })
                .collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// The compiled definition of `role`.
pub(crate) fn role_def(role: ServerRole) -> Result<Arc<RoleDef>, String> {
    table()?
        .iter()
        .find(|d| d.role == role)
        .cloned()
        .ok_or_else(|| format!("role `{}` has no definition", role.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_a_definition_with_records() {
        for role in [
            ServerRole::DomainController,
            ServerRole::DnsServer,
            ServerRole::Dfsr,
            ServerRole::CertificateAuthority,
            ServerRole::Iis,
            ServerRole::SqlServer,
            ServerRole::Exchange,
        ] {
            let def = role_def(role).unwrap_or_else(|e| panic!("{e}"));
            assert!(!def.shows.is_empty() && !def.services.is_empty(), "{}", role.as_str());
            assert!(def.shows.iter().all(|m| m.within.is_some()));
        }
    }
}
