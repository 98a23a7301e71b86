//! The OpenAPI document is snapshotted, so every change to the API surface shows up
//! as a diff in review. After an intended change, regenerate the snapshot with
//! `UPDATE_SNAPSHOTS=1 cargo test -p techex-api --test openapi`.

use std::path::Path;

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let document = techex_api::openapi::document();
    let mut json = serde_json::to_value(&document).unwrap();
    // The version changes with every release; the shape is what is reviewed.
    json["info"]["version"] = serde_json::Value::String("snapshot".into());
    let actual = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.snapshot.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "the OpenAPI document changed; if intended, run UPDATE_SNAPSHOTS=1 cargo test -p techex-api --test openapi \
         and review the diff of {}",
        path.display()
    );
}

#[test]
fn every_operation_documents_its_responses_and_a_tag() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let operations: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        operations, 68,
        "every route in routes::configure is documented"
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }
}

/// What generated clients rely on: one name per operation, a description for
/// every answer, and the answers a route of its kind can give.
#[test]
fn operations_are_named_once_and_document_the_usual_answers() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "{method} {path}: {id} twice");
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status}"
                );
            }
            let has = |status: &str| responses.contains_key(status);
            if operation.get("security").is_some() {
                assert!(has("401"), "{method} {path}");
            }
            if operation.get("requestBody").is_some() {
                assert!(has("400") && has("413") && has("415"), "{method} {path}");
            }
            if path.contains('{') {
                assert!(has("400") && has("404"), "{method} {path}");
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["name"] == "per_page" {
                    assert_eq!(parameter["schema"]["minimum"], 1, "{method} {path}");
                    assert_eq!(parameter["schema"]["maximum"], 100, "{method} {path}");
                }
            }
        }
    }
    assert!(ids.contains("webhooks_get") && ids.contains("listings_get"));
}

#[test]
fn a_listing_patch_requires_only_its_version() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    let request = &schemas["ListingRequest"];
    let patch = &schemas["ListingPatch"];
    // Creation needs its fields; an edit carries any of them.
    let required = request["required"].as_array().unwrap();
    assert!(required.iter().any(|f| f == "title"), "{request}");
    assert_eq!(patch["required"], serde_json::json!(["version"]), "{patch}");
    for field in request["properties"].as_object().unwrap().keys() {
        let expected = match field.as_str() {
            // Refused by the route: a listing's kind is never edited.
            "kind" => &serde_json::Value::Null,
            _ => &request["properties"][field],
        };
        assert_eq!(&patch["properties"][field], expected, "{field}");
    }
    assert_eq!(patch["properties"]["version"]["type"], "integer");
}

/// The import documents exactly the media types its extractor accepts.
#[test]
fn the_import_documents_the_json_lines_types_it_accepts() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let content = &document["paths"]["/api/v1/listings/import"]["post"]["requestBody"]["content"];
    let mut documented: Vec<&str> = content
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut accepted = techex_api::extract::JSON_LINES.to_vec();
    documented.sort_unstable();
    accepted.sort_unstable();
    assert_eq!(documented, accepted);
}

/// A request property the server requires is documented as required and not null:
/// the server answers `null` as it answers a missing field. Response schemas may
/// have required nullable properties (always present, maybe null), so only the
/// schemas request bodies name, and those they name in turn, are checked.
#[test]
fn required_request_properties_are_never_null() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    let mut pending: Vec<String> = Vec::new();
    let names_in = |value: &serde_json::Value, pending: &mut Vec<String>| {
        let text = value.to_string();
        for part in text.split("\"#/components/schemas/").skip(1) {
            pending.push(part.split('"').next().unwrap().to_owned());
        }
    };
    for operations in document["paths"].as_object().unwrap().values() {
        for operation in operations.as_object().unwrap().values() {
            names_in(&operation["requestBody"], &mut pending);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        names_in(&schemas[&name], &mut pending);
        // The schema, its parts (`allOf`, `oneOf`) and its inline objects.
        let mut objects = vec![&schemas[&name]];
        while let Some(object) = objects.pop() {
            for required in object["required"].as_array().into_iter().flatten() {
                let property = &object["properties"][required.as_str().unwrap()];
                let text = property.to_string();
                assert!(
                    !text.contains("\"null\""),
                    "{name}.{required} is required but may be null: {text}"
                );
                checked += 1;
            }
            let parts = ["allOf", "oneOf"]
                .iter()
                .flat_map(|key| object[*key].as_array().into_iter().flatten());
            let properties = object["properties"].as_object().into_iter().flatten();
            objects.extend(parts.chain(properties.map(|(_, property)| property)));
        }
    }
    // The registration's, the invitation's and the import's among them.
    for name in ["UserForm", "InvitationRequest", "ImportLine"] {
        assert!(seen.contains(name), "{name}");
    }
    assert!(checked > 20, "{checked}");
    let kind = &schemas["ListingRequest"];
    assert!(
        kind["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "kind")
    );
}

/// Every query parameter may be sent blank, as a form sends a filter left empty:
/// the server takes it as left out, and the document says so.
#[test]
fn query_parameters_may_be_blank() {
    let document = serde_json::to_value(techex_api::openapi::document()).unwrap();
    let mut query_parameters = 0;
    for operations in document["paths"].as_object().unwrap().values() {
        for operation in operations.as_object().unwrap().values() {
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            for parameter in parameters.filter(|p| p["in"] == "query") {
                assert_eq!(parameter["allowEmptyValue"], true, "{parameter}");
                query_parameters += 1;
            }
        }
    }
    assert!(query_parameters > 30, "{query_parameters}");
}
