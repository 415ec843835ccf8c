//! Where an S3 bucket's requests go: path-style
//! (`https://s3.eu-west-1.amazonaws.com/bucket/key`) or virtual-hosted-style
//! (`https://bucket.s3.eu-west-1.amazonaws.com/key`).
//!
//! The configured endpoint is always the service endpoint, without a bucket,
//! so one configuration serves the account view (ListBuckets goes to the
//! service endpoint in both styles) and any bucket. Virtual-hosted URLs put
//! the bucket name in front of the endpoint's host; AWS serves both styles
//! for most buckets, but some S3-compatible stores and newer AWS features
//! (access points, buckets whose names hold no dots but need
//! virtual-hosting) serve only one.

use crate::rest::{enc, enc_key};

/// How bucket URLs are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum S3Addressing {
    /// `ENDPOINT/bucket/key` (the default: emulators and most
    /// S3-compatible stores serve it on any host name).
    #[default]
    Path,
    /// `SCHEME://bucket.HOST/key`. The bucket's name becomes a DNS label:
    /// a name with dots breaks TLS certificate matching on AWS.
    VirtualHosted,
}

impl S3Addressing {
    /// The URL of `bucket` (no trailing `/`) under the service `endpoint`
    /// (no trailing `/`).
    pub fn bucket_url(self, endpoint: &str, bucket: &str) -> String {
        match self {
            Self::Path => format!("{endpoint}/{}", enc(bucket)),
            Self::VirtualHosted => match endpoint.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{bucket}.{rest}"),
                None => format!("{bucket}.{endpoint}"),
            },
        }
    }

    /// The URL of `key` in `bucket`; `/` in the key stays a separator.
    pub fn object_url(self, endpoint: &str, bucket: &str, key: &str) -> String {
        format!("{}/{}", self.bucket_url(endpoint, bucket), enc_key(key))
    }

    /// Whether this is [`S3Addressing::VirtualHosted`].
    pub fn is_virtual_hosted(self) -> bool {
        self == Self::VirtualHosted
    }
}

#[cfg(test)]
mod tests {
    use super::S3Addressing::{Path, VirtualHosted};

    const AWS: &str = "https://s3.eu-west-1.amazonaws.com";

    #[test]
    fn path_style_puts_the_bucket_in_the_path() {
        assert_eq!(
            Path.bucket_url(AWS, "photos"),
            "https://s3.eu-west-1.amazonaws.com/photos"
        );
        assert_eq!(
            Path.object_url("http://127.0.0.1:9000", "photos", "a b/c+d.jpg"),
            "http://127.0.0.1:9000/photos/a%20b/c%2Bd.jpg"
        );
    }

    #[test]
    fn virtual_hosted_style_puts_the_bucket_in_the_host() {
        assert_eq!(
            VirtualHosted.bucket_url(AWS, "photos"),
            "https://photos.s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            VirtualHosted.object_url(AWS, "photos", "2024/a b.jpg"),
            "https://photos.s3.eu-west-1.amazonaws.com/2024/a%20b.jpg"
        );
        // The port and a base path of the endpoint stay where they were.
        assert_eq!(
            VirtualHosted.object_url("http://localhost:5000/base", "b", "k"),
            "http://b.localhost:5000/base/k"
        );
        assert!(VirtualHosted.is_virtual_hosted() && !Path.is_virtual_hosted());
    }
}
