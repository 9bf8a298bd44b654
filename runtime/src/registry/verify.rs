//! [`Registry::verify`]: re-reads the whole store and names everything that is not as an
//! install leaves it. After any crash it must find nothing; that is what the crash tests check.

use std::collections::HashMap;

use semver::Version;

use super::Registry;
use super::files::{is_sha256_hex, read_names, sha256_file};
use super::installed::{read_record, read_version_dir, valid_name};

impl Registry {
    /// Every problem in the store, one line each; empty when it is sound. Hashes every blob,
    /// so it reads the whole store. Unreferenced blobs are not problems (`gc` collects them),
    /// and neither are damaged cache files (the next load rewrites them).
    pub fn verify(&self) -> Vec<String> {
        let mut problems = Vec::new();
        // Waits for an install in progress rather than reporting it half done.
        let _lock = match self.layout.lock_file() {
            Ok(file) => file.lock_shared().map(|()| file).ok(),
            Err(_) => None,
        };

        // blob name -> whether its content matches its name
        let mut blobs: HashMap<String, bool> = HashMap::new();
        match read_names(&self.layout.blobs) {
            Ok(entries) => {
                for (name, path) in entries {
                    if !is_sha256_hex(&name) {
                        problems.push(format!("{} is not a blob (blob names are sha256 hashes)", path.display()));
                        continue;
                    }
                    let ok = match sha256_file(&path) {
                        Ok(actual) if actual == name => true,
                        Ok(actual) => {
                            problems.push(format!("blob {} holds content whose sha256 is {actual}", path.display()));
                            false
                        }
                        Err(e) => {
                            problems.push(e.to_string());
                            false
                        }
                    };
                    blobs.insert(name, ok);
                }
            }
            Err(e) => problems.push(e.to_string()),
        }

        let names = match read_names(&self.layout.modules) {
            Ok(names) => names,
            Err(e) => {
                problems.push(e.to_string());
                return problems;
            }
        };
        for (name, path) in names {
            if !valid_name(&name) || !path.is_dir() {
                problems.push(format!("{} does not belong in modules/ (not a module name folder)", path.display()));
                continue;
            }
            let versions = match read_names(&path) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            for (version, dir) in versions {
                if Version::parse(&version).is_err() || !dir.is_dir() {
                    problems.push(format!("{} does not belong in modules/{name}/ (not a version folder)", dir.display()));
                    continue;
                }
                if let Err(e) = read_version_dir(&self.layout, &dir) {
                    problems.push(e.to_string());
                    continue;
                }
                let Ok(record) = read_record(&dir) else { continue };
                for sha in record.blobs() {
                    match blobs.get(sha) {
                        Some(true) => {}
                        Some(false) => problems.push(format!("{name}@{version} uses the damaged blob {sha}")),
                        None => problems.push(format!("{name}@{version} needs the blob {sha}, which is missing")),
                    }
                }
            }
        }
        problems
    }
}
