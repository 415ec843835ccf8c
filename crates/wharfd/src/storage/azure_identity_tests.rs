use std::collections::HashMap;

use super::*;

struct Vars(HashMap<&'static str, &'static str>);

impl Env for Vars {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| (*v).to_owned())
    }
}

fn vars(pairs: &[(&'static str, &'static str)]) -> Vars {
    Vars(pairs.iter().copied().collect())
}

fn chosen(kind: AzureCredentialKind) -> IdentitySettings {
    IdentitySettings {
        credential: Some(kind),
        ..IdentitySettings::default()
    }
}

#[test]
fn no_choice_and_key_forms_leave_the_key_file_path() {
    let env = vars(&[("AZURE_CLIENT_SECRET", "s"), ("AZURE_TENANT_ID", "t")]);
    // Identity variables in the environment switch nothing on by themselves.
    assert!(
        IdentitySettings::default()
            .identity(None, &env)
            .unwrap()
            .is_none()
    );
    for kind in [
        AzureCredentialKind::Key,
        AzureCredentialKind::Sas,
        AzureCredentialKind::ConnectionString,
    ] {
        assert!(chosen(kind).identity(None, &env).unwrap().is_none());
    }
}

#[test]
fn client_secret_from_settings_a_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "from-file\n").unwrap();
    let settings = IdentitySettings {
        tenant_id: Some("tenant".into()),
        client_secret_file: Some(file),
        authority_host: Some("https://login.example".into()),
        ..chosen(AzureCredentialKind::ClientSecret)
    };
    let env = vars(&[("AZURE_CLIENT_ID", "app"), ("AZURE_CLIENT_SECRET", "env")]);
    let identity = settings.identity(None, &env).unwrap().unwrap();
    assert_eq!(
        identity,
        EntraIdentity::ClientSecret {
            tenant_id: "tenant".into(),
            client_id: "app".into(),
            client_secret: "from-file".into(),
            authority_host: Some("https://login.example".into()),
        }
    );
    // Without the file, the variable; without either, a message naming both.
    let from_env = IdentitySettings {
        client_secret_file: None,
        ..settings.clone()
    };
    let EntraIdentity::ClientSecret { client_secret, .. } =
        from_env.identity(None, &env).unwrap().unwrap()
    else {
        panic!("not a client secret");
    };
    assert_eq!(client_secret, "env");
    let err = from_env
        .identity(None, &vars(&[("AZURE_CLIENT_ID", "app")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("AZURE_CLIENT_SECRET"), "{err}");
    let err = chosen(AzureCredentialKind::ClientSecret)
        .identity(None, &env)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("azure.tenant_id (--azure-tenant-id) or AZURE_TENANT_ID"),
        "{err}"
    );
}

#[test]
fn managed_identity_takes_app_services_endpoint_else_imds() {
    let settings = chosen(AzureCredentialKind::ManagedIdentity);
    let imds = settings.identity(None, &vars(&[])).unwrap().unwrap();
    assert_eq!(
        imds,
        EntraIdentity::ManagedIdentity {
            client_id: None,
            endpoint: None
        }
    );
    let app_service = vars(&[
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token"),
        ("AZURE_CLIENT_ID", "user-assigned"),
    ]);
    assert_eq!(
        settings.identity(None, &app_service).unwrap().unwrap(),
        EntraIdentity::ManagedIdentity {
            client_id: Some("user-assigned".into()),
            endpoint: Some("http://127.0.0.1:41741/msi/token".into()),
        }
    );
    // The setting wins over the variable.
    let set = IdentitySettings {
        msi_endpoint: Some("http://127.0.0.2/token".into()),
        ..settings
    };
    let Some(EntraIdentity::ManagedIdentity { endpoint, .. }) =
        set.identity(None, &app_service).unwrap()
    else {
        panic!("not a managed identity");
    };
    assert_eq!(endpoint.as_deref(), Some("http://127.0.0.2/token"));
}

#[test]
fn workload_identity_needs_its_token_file() {
    let env = vars(&[
        ("AZURE_TENANT_ID", "t"),
        ("AZURE_CLIENT_ID", "c"),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/token",
        ),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"),
    ]);
    let settings = chosen(AzureCredentialKind::WorkloadIdentity);
    assert_eq!(
        settings.identity(None, &env).unwrap().unwrap(),
        EntraIdentity::WorkloadIdentity {
            tenant_id: "t".into(),
            client_id: "c".into(),
            token_file: "/var/run/secrets/azure/tokens/token".into(),
            authority_host: Some("https://login.microsoftonline.us/".into()),
        }
    );
    let err = settings
        .identity(
            None,
            &vars(&[("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")]),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("AZURE_FEDERATED_TOKEN_FILE"), "{err}");
}

#[test]
fn azure_cli_needs_nothing_and_a_key_file_beside_an_identity_is_refused() {
    let cli = chosen(AzureCredentialKind::AzureCli);
    assert_eq!(
        cli.identity(None, &vars(&[])).unwrap(),
        Some(EntraIdentity::AzureCli)
    );
    let err = cli
        .identity(Some(Path::new("/etc/wharf/key")), &vars(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--azure-credential azure-cli does not use"),
        "{err}"
    );
}

#[test]
fn a_named_key_form_must_match_the_secret() {
    let key = Store::azure_from_secret("http://h/a", "a", "a2V5").unwrap();
    let sas = Store::azure_from_secret("http://h/a", "a", "sv=2022-11-02&sp=r&sig=x").unwrap();
    assert!(
        chosen(AzureCredentialKind::Key)
            .check_form(&key, false)
            .is_ok()
    );
    assert!(
        chosen(AzureCredentialKind::Sas)
            .check_form(&sas, false)
            .is_ok()
    );
    let err = chosen(AzureCredentialKind::Key)
        .check_form(&sas, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--azure-credential key was chosen"), "{err}");
    assert!(
        chosen(AzureCredentialKind::ConnectionString)
            .check_form(&key, false)
            .is_err()
    );
    assert!(
        chosen(AzureCredentialKind::ConnectionString)
            .check_form(&key, true)
            .is_ok()
    );
    assert!(IdentitySettings::default().check_form(&sas, false).is_ok());
}
