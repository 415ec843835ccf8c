// One basic-ftp session against wharfd over explicit FTPS, driven by
// crates/wharfd/tests/e2e/e2e_basic_ftp.rs:
//
//   node session.js HOST PORT USER PASSWORD WORKDIR TLS_MAX_VERSION
//
// In WORKDIR it uploads `up.bin` (as `up.bin`, and as `sub/up2.bin` after
// creating `sub`), downloads `served.bin` into `down.bin`, lists `/`, and
// writes `result.json`: basic-ftp's version, every TLS handshake the client
// made (control first, then one per data connection) with whether it resumed
// a session, and the listing as basic-ftp parsed it. basic-ftp's own
// protocol log (`client.ftp.verbose`) goes to stdout; the Rust test shows it
// when it fails. Checks are left to the Rust test, which knows what is on
// the server's disk.
"use strict";

const fs = require("fs");
const path = require("path");
const tls = require("tls");
const basicFtp = require("basic-ftp");

const [host, port, user, password, workdir, maxVersion] = process.argv.slice(2);
const version = JSON.parse(
    fs.readFileSync(require.resolve("basic-ftp/package.json"), "utf8"),
).version;

// basic-ftp calls `tls.connect` for the control connection (AUTH TLS) and for
// every data connection; wrapping it records each handshake's outcome as the
// client saw it.
const handshakes = [];
const connect = tls.connect;
tls.connect = function (...args) {
    const socket = connect.apply(this, args);
    socket.once("secureConnect", () => {
        handshakes.push({
            resumed: socket.isSessionReused(),
            protocol: socket.getProtocol(),
        });
    });
    return socket;
};

async function main() {
    console.log(`basic-ftp ${version}, node ${process.version}`);
    const client = new basicFtp.Client(10000);
    client.ftp.verbose = true;
    try {
        await client.access({
            host,
            port: Number(port),
            user,
            password,
            secure: true,
            secureOptions: { rejectUnauthorized: false, maxVersion },
        });
        await client.uploadFrom(path.join(workdir, "up.bin"), "up.bin");
        await client.ensureDir("/sub");
        await client.uploadFrom(path.join(workdir, "up.bin"), "up2.bin");
        await client.cd("/");
        await client.downloadTo(path.join(workdir, "down.bin"), "served.bin");
        const list = await client.list("/");
        const result = {
            version,
            handshakes,
            list: list.map((entry) => ({
                name: entry.name,
                size: entry.size,
                type: entry.type,
                modified: entry.modifiedAt ? entry.modifiedAt.getTime() : null,
            })),
        };
        fs.writeFileSync(path.join(workdir, "result.json"), JSON.stringify(result, null, 1));
    } finally {
        client.close();
    }
}

main().catch((error) => {
    console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
    process.exitCode = 1;
});
