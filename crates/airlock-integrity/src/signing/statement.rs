//! The in-toto Statement v1 an OMS signature signs: the subject digest of the model and,
//! in the predicate, its serialization and every resource.
//!
//! Written as compact JSON with sorted keys (model_signing's own bytes are not
//! reproducible, §4.4 of the research, so verifiers compare parsed content, never bytes).
//! Read leniently where model_signing 1.1.1 writes oddities — `shard_size` as a float,
//! `blake2` for BLAKE2b, `allow_symlinks` as a string in 0.2 signatures — and strictly
//! everywhere else.

use serde_json::{Map, Value, json};

use super::SignatureError;
use super::manifest::{HashAlgorithm, Manifest, Method, Resource, Serialization};

/// The in-toto statement type OMS uses.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate of model_signing ≥ 1.0.
pub const PREDICATE_V1_0: &str = "https://model_signing/signature/v1.0";
/// The predicate of model_signing 0.2 (one subject per file, no serialization record).
pub const PREDICATE_DIGESTS_V0_1: &str = "https://model_signing/Digests/v0.1";

/// A statement as read back from a signature.
#[derive(Debug, Clone)]
pub struct SignedStatement {
    /// The model as the signer saw it.
    pub manifest: Manifest,
    /// The predicate type, to tell users which format they hold.
    pub predicate_type: String,
}

/// The statement bytes to sign for a manifest.
pub fn to_payload(manifest: &Manifest) -> Vec<u8> {
    let serialization = &manifest.serialization;
    let mut recorded = json!({
        "method": match serialization.method {
            Method::Files => "files",
            Method::Shards { .. } => "shards",
        },
        "hash_type": serialization.hash.name(),
        "allow_symlinks": serialization.allow_symlinks,
    });
    if let Method::Shards { shard_size } = serialization.method {
        recorded["shard_size"] = json!(shard_size);
    }
    if !serialization.ignore_paths.is_empty() {
        recorded["ignore_paths"] = json!(serialization.ignore_paths);
    }
    let resources: Vec<Value> = manifest
        .resources
        .iter()
        .map(|resource| {
            json!({
                "name": resource.name,
                "algorithm": resource.algorithm,
                "digest": hex::encode(&resource.digest),
            })
        })
        .collect();
    let statement = json!({
        "_type": STATEMENT_TYPE,
        "subject": [{
            "name": manifest.model_name,
            "digest": { "sha256": hex::encode(manifest.subject_sha256()) },
        }],
        "predicateType": PREDICATE_V1_0,
        "predicate": {
            "serialization": recorded,
            "resources": resources,
        },
    });
    statement.to_string().into_bytes()
}

/// Reads a signed payload back into a manifest, checking what model_signing checks
/// (statement type, predicate type, one subject, subject digest consistent with the
/// resources).
pub fn parse_payload(payload: &[u8]) -> Result<SignedStatement, SignatureError> {
    let statement: Value = serde_json::from_slice(payload)
        .map_err(|err| invalid(format!("the signed payload is not JSON: {err}")))?;
    let statement_type = str_field(&statement, "_type")?;
    if statement_type != STATEMENT_TYPE {
        return Err(invalid(format!(
            "the payload is a `{statement_type}`, not an in-toto {STATEMENT_TYPE} statement"
        )));
    }
    let predicate_type = str_field(&statement, "predicateType")?.to_owned();
    let subjects = array_field(&statement, "subject")?;
    let manifest = match predicate_type.as_str() {
        PREDICATE_V1_0 => v1_manifest(&statement, subjects)?,
        PREDICATE_DIGESTS_V0_1 => v0_1_manifest(subjects)?,
        other => {
            return Err(invalid(format!(
                "unknown predicate type `{other}` (expected {PREDICATE_V1_0} or {PREDICATE_DIGESTS_V0_1})"
            )));
        }
    };
    Ok(SignedStatement {
        manifest,
        predicate_type,
    })
}

fn v1_manifest(statement: &Value, subjects: &[Value]) -> Result<Manifest, SignatureError> {
    let [subject] = subjects else {
        return Err(invalid(format!(
            "the statement has {} subjects; OMS v1.0 has exactly one",
            subjects.len()
        )));
    };
    let model_name = str_field(subject, "name")?.to_owned();
    let stated_digest = str_field(field(subject, "digest")?, "sha256")?.to_ascii_lowercase();
    let predicate = field(statement, "predicate")?;
    let serialization = parse_serialization(field(predicate, "serialization")?)?;
    let expected_algorithm = serialization.resource_algorithm();
    let mut resources = Vec::new();
    for resource in array_field(predicate, "resources")? {
        let name = str_field(resource, "name")?.to_owned();
        let algorithm = str_field(resource, "algorithm")?;
        // model_signing 1.1.1 writes `blake2b`; its API once called the same hash `blake2`.
        let algorithm = if algorithm == expected_algorithm.replace("blake2b", "blake2") {
            expected_algorithm.clone()
        } else {
            algorithm.to_owned()
        };
        let digest = hex_field(resource, "digest")?;
        resources.push(Resource {
            name,
            algorithm,
            digest,
        });
    }
    let manifest = Manifest {
        model_name,
        serialization,
        resources,
    };
    let actual_digest = hex::encode(manifest.subject_sha256());
    if actual_digest != stated_digest {
        return Err(invalid(format!(
            "the statement is inconsistent: its subject digest is {stated_digest} but its resources hash to {actual_digest}"
        )));
    }
    Ok(manifest)
}

fn v0_1_manifest(subjects: &[Value]) -> Result<Manifest, SignatureError> {
    let mut resources = Vec::new();
    for subject in subjects {
        resources.push(Resource {
            name: str_field(subject, "name")?.to_owned(),
            algorithm: HashAlgorithm::Sha256.name().to_owned(),
            digest: hex_field(field(subject, "digest")?, "sha256")?,
        });
    }
    Ok(Manifest {
        // model_signing calls it this too: 0.2 statements do not name the model.
        model_name: "compat-undefined-not-present".to_owned(),
        serialization: Serialization {
            ignore_paths: Vec::new(),
            ..Serialization::default()
        },
        resources,
    })
}

fn parse_serialization(recorded: &Value) -> Result<Serialization, SignatureError> {
    let hash_name = str_field(recorded, "hash_type")?;
    let hash = HashAlgorithm::from_name(hash_name)
        .ok_or_else(|| invalid(format!("unknown hash_type `{hash_name}`")))?;
    let method = match str_field(recorded, "method")? {
        "files" => Method::Files,
        "shards" => Method::Shards {
            shard_size: shard_size(field(recorded, "shard_size")?)?,
        },
        other => return Err(invalid(format!("unknown serialization method `{other}`"))),
    };
    let allow_symlinks = match recorded.get("allow_symlinks") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(allowed)) => *allowed,
        Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => true,
        Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(invalid(format!(
                "allow_symlinks is `{other}`, not a boolean"
            )));
        }
    };
    let ignore_paths = match recorded.get("ignore_paths") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(paths)) => paths
            .iter()
            .map(|path| {
                path.as_str().map(str::to_owned).ok_or_else(|| {
                    invalid("ignore_paths holds something other than strings".into())
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("ignore_paths is not a list".into())),
    };
    Ok(Serialization {
        method,
        hash,
        allow_symlinks,
        ignore_paths,
    })
}

/// `shard_size` arrives as a JSON float from model_signing (protobuf Struct numbers are
/// doubles); accept any positive integral value.
fn shard_size(value: &Value) -> Result<u64, SignatureError> {
    let size = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|size| size.fract() == 0.0 && *size >= 1.0 && *size < 2f64.powi(53))
            .map(|size| size as u64)
    });
    match size {
        Some(size) if size > 0 => Ok(size),
        _ => Err(invalid(format!(
            "shard_size `{value}` is not a positive integer"
        ))),
    }
}

fn invalid(message: String) -> SignatureError {
    SignatureError::Statement(message)
}

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a Value, SignatureError> {
    value
        .as_object()
        .and_then(|object: &Map<String, Value>| object.get(name))
        .ok_or_else(|| invalid(format!("the statement has no `{name}`")))
}

fn str_field<'a>(value: &'a Value, name: &str) -> Result<&'a str, SignatureError> {
    field(value, name)?
        .as_str()
        .ok_or_else(|| invalid(format!("`{name}` is not a string")))
}

fn array_field<'a>(value: &'a Value, name: &str) -> Result<&'a [Value], SignatureError> {
    field(value, name)?
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| invalid(format!("`{name}` is not a list")))
}

fn hex_field(value: &Value, name: &str) -> Result<Vec<u8>, SignatureError> {
    let text = str_field(value, name)?;
    hex::decode(text).map_err(|_| invalid(format!("`{name}` `{text}` is not hex")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            model_name: "m".into(),
            serialization: Serialization {
                method: Method::Shards { shard_size: 8 },
                ..Serialization::default()
            },
            resources: vec![Resource {
                name: "a:0:8".into(),
                algorithm: "sha256-sharded-8".into(),
                digest: vec![1; 32],
            }],
        }
    }

    #[test]
    fn payload_round_trips() {
        let manifest = manifest();
        let parsed = parse_payload(&to_payload(&manifest)).unwrap();
        assert_eq!(parsed.manifest, manifest);
        assert_eq!(parsed.predicate_type, PREDICATE_V1_0);
    }

    #[test]
    fn float_shard_size_and_inconsistent_subject() {
        let mut statement: Value = serde_json::from_slice(&to_payload(&manifest())).unwrap();
        statement["predicate"]["serialization"]["shard_size"] = json!(8.0);
        let parsed = parse_payload(statement.to_string().as_bytes()).unwrap();
        assert_eq!(
            parsed.manifest.serialization.method,
            Method::Shards { shard_size: 8 }
        );

        statement["predicate"]["resources"][0]["digest"] = json!(hex::encode([2u8; 32]));
        let err = parse_payload(statement.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("inconsistent"), "{err}");

        statement["predicate"]["serialization"]["shard_size"] = json!(8.5);
        assert!(parse_payload(statement.to_string().as_bytes()).is_err());
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        for payload in [
            "[]",
            "{\"_type\": 3}",
            "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": {}, \"predicateType\": \"x\"}",
            "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": [], \"predicateType\": \"https://model_signing/signature/v1.0\"}",
        ] {
            assert!(parse_payload(payload.as_bytes()).is_err(), "{payload}");
        }
    }
}
