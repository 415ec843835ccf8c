//! Decodes FTP command lines and shows what a server makes of each: the
//! typed command, or the reply code and message an error earns.
//!
//! ```sh
//! cargo run -p wharf-examples --example decode_commands           # a sample session
//! printf 'PORT 127,0,0,1,4,1\r\nEPSV 9\r\n' | cargo run -p wharf-examples --example decode_commands -- -
//! ```
#![allow(clippy::print_stdout)]

use std::io::Read;

use bytes::BytesMut;
use wharf_proto::CommandDecoder;

const SAMPLE: &[u8] = b"HOST ftp.contoso.com\r\nUSER robert\r\nPASS secret\r\nPWD \r\n\
PORT 169,254,10,2,72,50\r\nEPRT |2|::1|50000|\r\nTYPE L 8\r\nLIST -la /pub\r\n\
MFMT 20261121093000 notes.txt\r\nREST 1048576\r\nRETR caf\xc3\xa9.txt\r\nEPSV 9\r\n\
TYPE X\r\nFROB\r\nADAT abc\r\n\xff\xf4\xff\xf2ABOR\r\nQUIT\r\n";

fn main() -> std::io::Result<()> {
    let mut input = Vec::new();
    if std::env::args().nth(1).as_deref() == Some("-") {
        std::io::stdin().read_to_end(&mut input)?;
    } else {
        println!("Decoding a sample session (pass `-` to read lines from stdin).\n");
        input.extend_from_slice(SAMPLE);
    }
    let mut decoder = CommandDecoder::default();
    let mut buf = BytesMut::from(&input[..]);
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(command)) => println!("{:<5} {command:?}", command.verb()),
            Ok(None) => break,
            Err(error) => match error.reply_code() {
                Some(code) => println!("ERR   {code} {error}"),
                None => break,
            },
        }
    }
    Ok(())
}
