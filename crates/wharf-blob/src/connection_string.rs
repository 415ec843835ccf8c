//! Azure Storage connection strings, the form the Azure portal and
//! Azure's SDKs hand out:
//!
//! ```text
//! connection-string = setting *( ";" setting ) [ ";" ]
//! setting           = key "=" value     ; the value runs to the next ";"
//!                                       ; and may hold "=" (base64 keys, SAS)
//! ```
//!
//! Keys are matched without regard to case. Read here:
//! `DefaultEndpointsProtocol` (`https` by default), `AccountName`,
//! `AccountKey` (Shared Key), `SharedAccessSignature` (a SAS token),
//! `BlobEndpoint` (else `PROTOCOL://ACCOUNT.blob.SUFFIX`), `EndpointSuffix`
//! (`core.windows.net` by default) and `UseDevelopmentStorage=true`
//! (Azurite's well-known account on `http://127.0.0.1:10000`). The other
//! services' endpoints (`QueueEndpoint`, ...) are ignored. A string must
//! carry exactly one credential: Wharf has no anonymous mode.

use crate::config::{AzureAuth, Store};
use crate::errors::BlobError;
use crate::sas::SasToken;

/// Azurite's development account, which Microsoft publishes for
/// `UseDevelopmentStorage=true`.
const DEV_ACCOUNT: &str = "devstoreaccount1";
/// Its published key.
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Whether `text` reads as a connection string rather than a key or a
/// token: it sets one of the keys above.
pub(crate) fn looks_like_connection_string(text: &str) -> bool {
    settings(text).iter().any(|(key, _)| {
        [
            "DefaultEndpointsProtocol",
            "AccountName",
            "AccountKey",
            "BlobEndpoint",
            "SharedAccessSignature",
            "UseDevelopmentStorage",
        ]
        .iter()
        .any(|known| key.eq_ignore_ascii_case(known))
    })
}

/// The `key=value` settings, in order; a part without `=` is kept with an
/// empty key so that it is reported.
fn settings(text: &str) -> Vec<(&str, &str)> {
    text.trim()
        .split(';')
        .filter(|part| !part.trim().is_empty())
        .map(|part| part.trim().split_once('=').unwrap_or(("", part)))
        .collect()
}

impl Store {
    /// The Azure store a connection string describes.
    pub fn from_connection_string(text: &str) -> Result<Self, BlobError> {
        let bad = |why: String| BlobError::Config(format!("connection string: {why}"));
        let mut get = std::collections::HashMap::new();
        for (key, value) in settings(text) {
            if key.is_empty() {
                return Err(bad("every part is Key=Value".into()));
            }
            get.insert(key.to_ascii_lowercase(), value.trim());
        }
        if get
            .get("usedevelopmentstorage")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(Self::azure(
                format!("http://127.0.0.1:10000/{DEV_ACCOUNT}"),
                DEV_ACCOUNT,
                DEV_KEY,
            ));
        }
        let endpoint = get.get("blobendpoint").map(|e| e.trim_end_matches('/'));
        let account = match (get.get("accountname"), endpoint) {
            (Some(name), _) => (*name).to_owned(),
            (None, Some(endpoint)) => account_of(endpoint)
                .ok_or_else(|| bad(format!("no AccountName, and none in {endpoint}")))?,
            (None, None) => return Err(bad("AccountName or BlobEndpoint is needed".into())),
        };
        let endpoint = match endpoint {
            Some(endpoint) => endpoint.to_owned(),
            None => format!(
                "{}://{account}.blob.{}",
                get.get("defaultendpointsprotocol").unwrap_or(&"https"),
                get.get("endpointsuffix").unwrap_or(&"core.windows.net"),
            ),
        };
        let auth = match (get.get("accountkey"), get.get("sharedaccesssignature")) {
            (Some(key), None) => AzureAuth::SharedKey((*key).to_owned()),
            (None, Some(sas)) => {
                AzureAuth::Sas(SasToken::parse(sas).map_err(|e| bad(e.to_string()))?)
            }
            (Some(_), Some(_)) => {
                return Err(bad(
                    "give AccountKey or SharedAccessSignature, not both".into()
                ));
            }
            (None, None) => {
                return Err(bad("AccountKey or SharedAccessSignature is needed".into()));
            }
        };
        Ok(Self::azure_with(endpoint, account, auth))
    }
}

impl Store {
    /// Whether `secret` has the form of a connection string (it sets
    /// `AccountName=`, `BlobEndpoint=`, ...), as
    /// [`Store::azure_from_secret`] tells them apart.
    pub fn is_connection_string(secret: &str) -> bool {
        looks_like_connection_string(secret)
    }

    /// The Azure store for a secret whose form says what it is: a
    /// connection string (it sets `AccountName=`, `BlobEndpoint=`, ...:
    /// its endpoint and account win, and `account` must match it), a SAS
    /// token ([`SasToken::looks_like_sas`]), else an account key, for
    /// `account` at `endpoint`.
    pub fn azure_from_secret(
        endpoint: &str,
        account: &str,
        secret: &str,
    ) -> Result<Self, BlobError> {
        let secret = secret.trim();
        if looks_like_connection_string(secret) {
            let store = Self::from_connection_string(secret)?;
            if let Self::Azure { account: named, .. } = &store
                && named != account
            {
                return Err(BlobError::Config(format!(
                    "the connection string is for account {named}, not {account}"
                )));
            }
            return Ok(store);
        }
        if SasToken::looks_like_sas(secret) {
            let token = SasToken::parse(secret).map_err(|e| BlobError::Config(e.to_string()))?;
            return Ok(Self::azure_sas(endpoint, account, token));
        }
        Ok(Self::azure(endpoint, account, secret))
    }
}

/// The account a blob endpoint names: the first label of
/// `ACCOUNT.blob.SUFFIX`, or the first path segment of Azurite's
/// path-style `http://HOST:PORT/ACCOUNT`.
fn account_of(endpoint: &str) -> Option<String> {
    let rest = endpoint.split_once("://")?.1;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if let Some((account, _)) = host.split_once(".blob.") {
        return Some(account.to_owned());
    }
    path.split('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure(store: &Store) -> (&str, &str, &AzureAuth) {
        match store {
            Store::Azure {
                endpoint,
                account,
                auth,
            } => (endpoint, account, auth),
            _ => panic!("not Azure"),
        }
    }

    #[test]
    fn reads_the_portal_form() {
        let text = "DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=a2V5LWtleQ==;EndpointSuffix=core.windows.net";
        assert!(looks_like_connection_string(text));
        let store = Store::from_connection_string(text).unwrap();
        let (endpoint, account, auth) = azure(&store);
        assert_eq!(endpoint, "https://myacct.blob.core.windows.net");
        assert_eq!(account, "myacct");
        assert!(matches!(auth, AzureAuth::SharedKey(key) if key == "a2V5LWtleQ=="));
    }

    #[test]
    fn reads_a_sas_form_with_an_endpoint() {
        let text = "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;SharedAccessSignature=sv=2022-11-02&sr=c&sp=rl&se=2030-01-01&sig=a%2Bb%3D";
        let store = Store::from_connection_string(text).unwrap();
        let (endpoint, account, auth) = azure(&store);
        assert_eq!(endpoint, "http://127.0.0.1:10000/devstoreaccount1");
        assert_eq!(account, "devstoreaccount1");
        let AzureAuth::Sas(token) = auth else {
            panic!("not a SAS")
        };
        assert_eq!(token.get("sig"), Some("a+b="));
        let hosted =
            "blobendpoint=https://acct2.blob.core.windows.net;sharedaccesssignature=?sv=1&sig=x";
        assert_eq!(
            azure(&Store::from_connection_string(hosted).unwrap()).1,
            "acct2"
        );
    }

    #[test]
    fn reads_development_storage() {
        let store = Store::from_connection_string("UseDevelopmentStorage=true").unwrap();
        assert_eq!(azure(&store).1, DEV_ACCOUNT);
    }

    #[test]
    fn secrets_say_what_they_are() {
        let at = "http://127.0.0.1:10000/acct";
        let key = Store::azure_from_secret(at, "acct", "a2V5\n").unwrap();
        assert!(matches!(azure(&key).2, AzureAuth::SharedKey(k) if k == "a2V5"));
        let sas = Store::azure_from_secret(at, "acct", "?sv=1&sp=r&sig=x").unwrap();
        assert!(matches!(azure(&sas).2, AzureAuth::Sas(_)));
        assert_eq!(azure(&sas).0, at);
        let string = "AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://h:1/acct";
        let from = Store::azure_from_secret(at, "acct", string).unwrap();
        assert_eq!(azure(&from).0, "http://h:1/acct");
        let other = Store::azure_from_secret(at, "other", string).unwrap_err();
        assert!(other.to_string().contains("not other"), "{other}");
    }

    #[test]
    fn refuses_what_cannot_work() {
        for text in [
            "AccountName=a",
            "AccountName=a;AccountKey=k;SharedAccessSignature=sv=1&sig=x",
            "AccountKey=k",
            "AccountName=a;garbage",
            "AccountName=a;SharedAccessSignature=sp=r",
        ] {
            let err = Store::from_connection_string(text).unwrap_err();
            assert!(
                err.to_string().contains("connection string"),
                "{text}: {err}"
            );
        }
        assert!(!looks_like_connection_string(
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        ));
        assert!(!looks_like_connection_string("sv=2022-11-02&sig=x"));
    }
}
