"""A minimal Diameter peer for TLS tests: TLS handshake, one CER, read the
CEA. It exists to play peers that freeDiameter itself refuses to be, such
as a node whose certificate names another identity than its Origin-Host
(freeDiameter will not start with such a certificate, notes sec. 4 T2a).

Message layout: RFC 6733 sec. 3 (header) and 4.1 (AVP header); CER/CEA
sec. 5.3.1/5.3.2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import ssl
import struct
from pathlib import Path
from typing import Optional

CMD_CAPABILITIES_EXCHANGE = 257
CMD_DISCONNECT_PEER = 282
FLAG_REQUEST = 0x80
AVP_FLAG_VENDOR = 0x80
AVP_FLAG_MANDATORY = 0x40

AVP_HOST_IP_ADDRESS = 257
AVP_AUTH_APPLICATION_ID = 258
AVP_ORIGIN_HOST = 264
AVP_VENDOR_ID = 266
AVP_PRODUCT_NAME = 269
AVP_RESULT_CODE = 268
AVP_DISCONNECT_CAUSE = 273
AVP_ORIGIN_STATE_ID = 278
AVP_ORIGIN_REALM = 296
AVP_VENDOR_SPECIFIC_APPLICATION_ID = 260

DIAMETER_SUCCESS = 2001
EAP_APPLICATION_ID = 5  # RFC 4072
ROAMKEY_VENDOR_ID = 32473  # protocol.md sec. 3
DELEGATION_APPLICATION_ID = 16809689


def avp(code: int, data: bytes, *, mandatory: bool = True, vendor: Optional[int] = None) -> bytes:
    flags = (AVP_FLAG_MANDATORY if mandatory else 0) | (AVP_FLAG_VENDOR if vendor is not None else 0)
    header_len = 12 if vendor is not None else 8
    length = header_len + len(data)
    out = struct.pack("!IB", code, flags) + length.to_bytes(3, "big")
    if vendor is not None:
        out += struct.pack("!I", vendor)
    return out + data + b"\0" * (-length % 4)


def u32(v: int) -> bytes:
    return struct.pack("!I", v)


def address(ip: str) -> bytes:
    a = ipaddress.ip_address(ip)
    return struct.pack("!H", 1 if a.version == 4 else 2) + a.packed  # RFC 6733 sec. 4.3.1 Address


def message(code: int, avps: list[bytes], *, request: bool, app_id: int = 0, hop_by_hop: Optional[int] = None,
            end_to_end: Optional[int] = None) -> bytes:
    body = b"".join(avps)
    length = 20 + len(body)
    hbh = hop_by_hop if hop_by_hop is not None else int.from_bytes(os.urandom(4), "big")
    e2e = end_to_end if end_to_end is not None else int.from_bytes(os.urandom(4), "big")
    return (bytes([1]) + length.to_bytes(3, "big") + bytes([FLAG_REQUEST if request else 0])
            + code.to_bytes(3, "big") + struct.pack("!III", app_id, hbh, e2e) + body)


def capabilities_exchange_request(origin_host: str, origin_realm: str, host_ip: str = "127.0.0.1",
                                  auth_app_ids: tuple[int, ...] = (EAP_APPLICATION_ID,),
                                  vendor_apps: tuple[tuple[int, int], ...] = ()) -> bytes:
    avps = [
        avp(AVP_ORIGIN_HOST, origin_host.encode()),
        avp(AVP_ORIGIN_REALM, origin_realm.encode()),
        avp(AVP_HOST_IP_ADDRESS, address(host_ip)),
        avp(AVP_VENDOR_ID, u32(0)),
        avp(AVP_PRODUCT_NAME, b"RoamKey test probe", mandatory=False),  # RFC 6733 sec. 5.3.7: M bit not set
        avp(AVP_ORIGIN_STATE_ID, u32(1)),
    ]
    avps += [avp(AVP_AUTH_APPLICATION_ID, u32(a)) for a in auth_app_ids]
    avps += [avp(AVP_VENDOR_SPECIFIC_APPLICATION_ID,
                 avp(AVP_VENDOR_ID, u32(vendor)) + avp(AVP_AUTH_APPLICATION_ID, u32(app)))
             for vendor, app in vendor_apps]
    return message(CMD_CAPABILITIES_EXCHANGE, avps, request=True)


@dataclasses.dataclass
class Message:
    flags: int
    code: int
    app_id: int
    avps: list[tuple[int, int, Optional[int], bytes]]  # (code, flags, vendor, data)

    def first(self, code: int) -> Optional[bytes]:
        for c, _, _, data in self.avps:
            if c == code:
                return data
        return None

    @property
    def is_request(self) -> bool:
        return bool(self.flags & FLAG_REQUEST)


def parse(buf: bytes) -> Message:
    if len(buf) < 20 or buf[0] != 1:
        raise ValueError("not a Diameter message")
    length = int.from_bytes(buf[1:4], "big")
    flags, code = buf[4], int.from_bytes(buf[5:8], "big")
    app_id = struct.unpack("!I", buf[8:12])[0]
    avps, i = [], 20
    while i < length:
        c, f = struct.unpack("!IB", buf[i:i + 5])
        alen = int.from_bytes(buf[i + 5:i + 8], "big")
        vendor, hdr = (struct.unpack("!I", buf[i + 8:i + 12])[0], 12) if f & AVP_FLAG_VENDOR else (None, 8)
        if alen < hdr:
            raise ValueError("bad AVP length")
        avps.append((c, f, vendor, buf[i + hdr:i + alen]))
        i += alen + (-alen % 4)
    return Message(flags, code, app_id, avps)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("connection closed by the peer")
        out += chunk
    return out


def read_message(sock: socket.socket) -> Message:
    head = _recv_exact(sock, 4)
    length = int.from_bytes(head[1:4], "big")
    return parse(head + _recv_exact(sock, length - 4))


@dataclasses.dataclass
class ExchangeOutcome:
    """What came of a CER: a CEA and its Result-Code, or why there was none."""

    result_code: Optional[int] = None
    error: str = ""  # handshake failure, connection closed, timeout

    @property
    def accepted(self) -> bool:
        return self.result_code == DIAMETER_SUCCESS

    def __str__(self) -> str:
        return f"CEA Result-Code {self.result_code}" if self.result_code is not None else f"no CEA: {self.error}"


def tls_context(ca: Path, certificate: Path, private_key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(ca))
    ctx.load_cert_chain(certfile=str(certificate), keyfile=str(private_key))
    return ctx


def capabilities_exchange(host: str, port: int, *, server_identity: str, ca: Path, certificate: Path,
                          private_key: Path, origin_host: str, origin_realm: str,
                          auth_app_ids: tuple[int, ...] = (EAP_APPLICATION_ID,),
                          vendor_apps: tuple[tuple[int, int], ...] = (),
                          timeout: float = 20.0) -> ExchangeOutcome:
    """TLS to host:port (RFC 6733 sec. 13: TLS before CER), send a CER
    claiming `origin_host`, wait for the CEA. A Diameter server may also
    refuse by closing the connection; that is reported in `error`."""
    ctx = tls_context(ca, certificate, private_key)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_identity) as tls:
                tls.sendall(capabilities_exchange_request(origin_host, origin_realm, auth_app_ids=auth_app_ids,
                                                          vendor_apps=vendor_apps))
                while True:
                    m = read_message(tls)
                    if m.code == CMD_CAPABILITIES_EXCHANGE and not m.is_request:
                        rc = m.first(AVP_RESULT_CODE)
                        outcome = ExchangeOutcome(struct.unpack("!I", rc)[0] if rc else None,
                                                  "" if rc else "CEA without Result-Code")
                        if outcome.accepted:
                            _disconnect(tls, origin_host, origin_realm)
                        return outcome
                    # A DWR or DPR before the CEA is not expected; keep reading until closed.
    except (ssl.SSLError, ConnectionError, OSError, ValueError) as e:
        return ExchangeOutcome(None, f"{type(e).__name__}: {e}")


def _disconnect(tls: ssl.SSLSocket, origin_host: str, origin_realm: str) -> None:
    """DPR (cause REBOOTING) so the server sees an orderly goodbye (RFC 6733 sec. 5.4)."""
    try:
        tls.sendall(message(CMD_DISCONNECT_PEER, [avp(AVP_ORIGIN_HOST, origin_host.encode()),
                                                  avp(AVP_ORIGIN_REALM, origin_realm.encode()),
                                                  avp(AVP_DISCONNECT_CAUSE, u32(0))], request=True))
        read_message(tls)
        tls.settimeout(2)
        tls.unwrap()  # close_notify, so that the server logs no TLS error
    except (ssl.SSLError, ConnectionError, OSError, ValueError):
        pass
