//! A Google Cloud service account key for tests: object_store signs its
//! own bearer token (a JWT) with a service account's RSA key, so a test
//! can check what arrives, and application default credentials read
//! from a file work without any token endpoint.

/// A 2048-bit RSA key made for Wharf's tests with `openssl genpkey`
/// (PKCS#8 PEM); it signs nothing but test tokens.
pub const TEST_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsxF06L9rLGBmU\nTZXH2dT3R41gyLww/yhXqycYUb3yx98NWx3MNOBmU79hUOyIQKeQ8dYEQ0mMpiH4\n/AtoLc4hii0zdpIvZBPqfs8B1ucUrt1x9PJbVPmnGTF0r/b2ZhjjVTlkVF/F96zr\nuNLl7VJNawGn2+xWydOqLWjqLCpz3FOUmk7drMXSMRkMV4zyA2XAX3D0aRWX40XI\nXsznGLF2Lc5P62KS0142Cb9demjosxW1Yg5OlcSwSoyhuFItY8rYp8vgUvMxWyiZ\n7B8RYFATN+g08WYfHDETxFL9uTkzqlR5LTwPaPzrGWBTFnD4c7vJsqF+SPbGFWoL\n6aei8RVDAgMBAAECggEAG5MLvim9JgUmsADiEw+1afJFoljnkHppGfT7PGpvgrxb\n4WnVi6400qAzP3kHB4gqNnwiyHNk3cn2SiMQPwRwjfHb3QbjtiSm+RpcN9Lw9uAh\n//o0ZFdfsUfYGOOs6w7IkiAcFONSleo98zGAl6oVJL4beYskYYW8/sBYqmd6LxuL\ntMiTKy7TCdl8nTGtpQLy+3M26QVSoQ27bOuCXVCJbFYNhXKfp2S3Ce/7RVMSM0/u\nEIBCyaH7a+c/Twmwn+d4ZUpCeMtqVie0siHm0Edc5n5+jweG+t6adWZEyhhaHrs7\nJlJrQOHnl6WS75B8NEGj0FS8G+BAiKCOzJcX1MaowQKBgQDsTDx5sSk+37xLX4pH\nBYCt2TJt8QYWBwst3Pkt7Buay8dbif6cmKPd/jJEBdyrCRlXYZcPvdimY6gqsGz5\nwf+FWJQhxT33h0WiTZ4R/PZ5dJzqLAviKrg8Yk7C6W3SPDBjydtR7/YpwnqQWa+q\nkrQWQLoF7K8wYW+vozktoG5V6wKBgQC7LBFHU9HKSJexOCaVWaaliaFzfadvy5LF\nU+D9Cf5kX9DRD1gKjbT49TKxJ0u3QYsGd3flwEw3tNQ7N6hbBhD0OjYhRO+ChxW/\nnt29iMJn82YaMRTAGjzczms65nNvzMKhpOePY8CLEZYJUFkTOm7hTT2dN9IOOlRK\nx08oK9wwCQKBgHetBNP9Tg5x8kOaV8Ywm0NxRYE5GQP+/UJ1MB55/mEf5BAQi8tz\n40qDe6HH9kMJkLQY0RE/7YIX5wv33rl/75HxktSnuQKsmC/jb7Nckthgnzhapood\naMHsaEd/QgfARCHGEjYlel8cCEcjpTyWoG7EyXJGtVOjhZVG7aaWIkuRAoGAJNVi\nPRgoo9cvSufS5/cxjUgNZq3momB8bKq6DvHFhzk33bxYRhNm9stCA4zJILIcStR9\n2s/B8AB8935XejoyYe2Gs3teauBsjj4UQvVD1LMYd7UK8Vb4fTd98KRjOTAhaTAL\nhbNKs9NtJD4UmW0ZXusVYfgXNUeTSPf6AtzGwwkCgYB3oED5ZA8oHL/uuCzc6Xe7\noku9cgp6l9c5gsf+VM2DKVzeVYt0Drur5CdH+8Tp3qEUxSSEgDxaRFOHONKrJq90\nXUenYLxJuEIYv+bvD+7jbQym6Rtg20/MdHuRGCFnqXiy1wwjOst2i1adZ2ET2lco\nFEHMkjQnCbVLrWy9FSfV0Q==\n-----END PRIVATE KEY-----\n";

/// Its public half, PKCS#1 DER in base64 (`openssl rsa -RSAPublicKey_out`),
/// to check a token's signature with.
pub const TEST_PUBLIC_DER: &str = "MIIBCgKCAQEArMRdOi/ayxgZlE2Vx9nU90eNYMi8MP8oV6snGFG98sffDVsdzDTgZlO/YVDsiECnkPHWBENJjKYh+PwLaC3OIYotM3aSL2QT6n7PAdbnFK7dcfTyW1T5pxkxdK/29mYY41U5ZFRfxfes67jS5e1STWsBp9vsVsnTqi1o6iwqc9xTlJpO3azF0jEZDFeM8gNlwF9w9GkVl+NFyF7M5xixdi3OT+tiktNeNgm/XXpo6LMVtWIOTpXEsEqMobhSLWPK2KfL4FLzMVsomewfEWBQEzfoNPFmHxwxE8RS/bk5M6pUeS08D2j86xlgUxZw+HO7ybKhfkj2xhVqC+mnovEVQwIDAQAB";

/// The service account the key belongs to.
pub const CLIENT_EMAIL: &str = "wharf-test@wharf-test.iam.gserviceaccount.com";

/// The key's id (`kid` in the tokens' header).
pub const KEY_ID: &str = "test-key-1";

/// A service account key file's JSON with this key, for `project`.
pub fn service_account_json(project: &str) -> String {
    format!(
        r#"{{"type": "service_account", "project_id": "{project}", "private_key_id": "{KEY_ID}", "private_key": "{}", "client_email": "{CLIENT_EMAIL}"}}"#,
        TEST_KEY_PEM.replace('\n', "\\n")
    )
}
