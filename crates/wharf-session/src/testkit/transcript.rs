//! Known-answer session tests: each command line and the reply codes it
//! must get, in order.
//!
//! ```text
//! transcript!(fs = [("f", "hello")];
//!     "USER a" => 331,
//!     "PASS s" => 230,
//!     "EPSV" => 229,
//!     "RETR f" => [150, 226] >> "hello",
//!     "EPSV" => 229,
//!     "STOR g" << "new" => [150, 226],
//! );
//! ```
//!
//! Before the `;` come [`Setup`](super::Setup) calls (`fs`, `dirs`,
//! `options`, `tls`). `<< bytes` is what an upload sends, `>> bytes` what a
//! download or listing must bring. The macro returns the harness and the
//! client, for checks on what the session left behind.

/// The reply codes a line must get: one, or a preliminary and a final.
pub(crate) trait Codes {
    fn codes(self) -> Vec<u16>;
}

impl Codes for u16 {
    fn codes(self) -> Vec<u16> {
        vec![self]
    }
}

impl<const N: usize> Codes for [u16; N] {
    fn codes(self) -> Vec<u16> {
        self.to_vec()
    }
}

/// Sends `line` and checks what it got; the transcript so far is shown on
/// failure.
pub(crate) async fn step(
    client: &mut super::Client,
    seen: &mut Vec<String>,
    line: &str,
    upload: Option<&[u8]>,
    expected: Vec<u16>,
    download: Option<&[u8]>,
) {
    let exchange = client.exchange(line, upload).await;
    seen.push(format!(
        "{line} => {:?} {:?}",
        exchange.codes(),
        exchange.text()
    ));
    assert_eq!(
        exchange.codes(),
        expected,
        "at `{line}`; the transcript:\n  {}",
        seen.join("\n  ")
    );
    if let Some(download) = download {
        assert_eq!(
            String::from_utf8_lossy(&exchange.data),
            String::from_utf8_lossy(download),
            "data of `{line}`"
        );
    }
}

/// See the module docs.
macro_rules! transcript {
    ($($key:ident = $value:expr),* ; $($line:literal $(<< $up:expr)? => $codes:tt $(>> $down:expr)?),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut setup = $crate::testkit::Setup::default();
        $( setup.$key($value); )*
        let harness = $crate::testkit::Harness::start(setup).await;
        let mut client = harness.connect().await;
        let mut seen: Vec<String> = Vec::new();
        $(
            $crate::testkit::transcript::step(
                &mut client,
                &mut seen,
                $line,
                None $(.or(Some(AsRef::<[u8]>::as_ref(&$up))))?,
                $crate::testkit::transcript::Codes::codes($codes),
                None $(.or(Some(AsRef::<[u8]>::as_ref(&$down))))?,
            )
            .await;
        )*
        (harness, client)
    }};
}
