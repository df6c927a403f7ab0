"""A throw-away HTTP(S) server on 127.0.0.1 for tests that need a live download (TLS,
compressed bodies): fixed answers by path, 404 for anything else."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: path → (headers, body)
Answers = dict[str, tuple[dict[str, str], bytes]]


def _certificate(
    subject: str,
    public_key: ec.EllipticCurvePublicKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if subject == issuer != "localhost":  # a CA
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    else:
        san = x509.SubjectAlternativeName([x509.DNSName("localhost")])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write(folder: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` signed by its own key (no CA trusts it): the
    certificate and key files written into ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    _write(folder, _certificate("localhost", key.public_key(), "localhost", key), key)
    return folder / "cert.pem", folder / "key.pem"


def ca_signed_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a ``localhost`` certificate it signed: the certificate and key files,
    and the CA's certificate file (for ``SSL_CERT_FILE``), written into ``folder``."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("sinacrawl test CA", ca_key.public_key(), "sinacrawl test CA", ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    _write(folder, _certificate("localhost", key.public_key(), "sinacrawl test CA", ca_key), key)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem", folder / "key.pem", folder / "ca.pem"


@contextmanager
def serve(answers: Answers, tls: tuple[Path, Path] | None = None) -> Iterator[int]:
    """Serve ``answers`` on a free 127.0.0.1 port (yielded), with TLS when ``tls`` gives a
    certificate and key file."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers, body = answers.get(self.path, ({}, b""))
            self.send_response(200 if self.path in answers else 404)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
