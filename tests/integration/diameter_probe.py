"""A minimal Diameter peer for TLS tests: TLS handshake, one CER, read the
CEA. It exists to play peers that freeDiameter itself refuses to be, such
as a node whose certificate names another identity than its Origin-Host
(freeDiameter will not start with such a certificate, notes sec. 4 T2a),
and to send requests a freeDiameter client never sends on purpose: the
same Delegation request twice with one End-to-End-Identifier, with or
without the T flag (protocol.md sec. 3, RFC 6733 sec. 6.1.9).

Message layout: RFC 6733 sec. 3 (header) and 4.1 (AVP header); CER/CEA
sec. 5.3.1/5.3.2; DWR/DWA sec. 5.5; the Delegation application
protocol.md sec. 3.
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
CMD_DEVICE_WATCHDOG = 280
CMD_DISCONNECT_PEER = 282
FLAG_REQUEST = 0x80
FLAG_PROXIABLE = 0x40
FLAG_RETRANSMITTED = 0x10  # T: a request sent again after a link failover (RFC 6733 sec. 3)
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
AVP_USER_NAME = 1
AVP_SESSION_ID = 263
AVP_AUTH_SESSION_STATE = 277
AVP_DESTINATION_REALM = 283
AVP_EXPERIMENTAL_RESULT = 297
AVP_EXPERIMENTAL_RESULT_CODE = 298

DIAMETER_SUCCESS = 2001
EAP_APPLICATION_ID = 5  # RFC 4072
ROAMKEY_VENDOR_ID = 32473  # protocol.md sec. 3
DELEGATION_APPLICATION_ID = 16809689
NO_STATE_MAINTAINED = 1

# protocol.md sec. 3: command codes and the vendor AVPs (V and M bits, Vendor-Id 32473).
CMD_DELEGATION = 8389000
CMD_KEY_UPDATE_REPORT = 8389002
AVP_TSK_VECTOR = 1
AVP_TSK_RAND = 2
AVP_TSK_KEY = 3
AVP_WRAPPED_TSK_KEY = 4
AVP_KEY_WRAP_KEY_ID = 5
AVP_KEY_GENERATION = 6
AVP_TSK_LIFETIME = 7
AVP_TSK_MAX_USES = 8
AVP_KEY_UPDATE_STATUS = 13
KEY_UPDATE_UPDATED, KEY_UPDATE_REJECTED_BY_MN, KEY_UPDATE_ABANDONED = 0, 1, 2


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
            end_to_end: Optional[int] = None, flags: int = 0) -> bytes:
    """A Diameter message; `flags` adds P or T to the R bit that `request` sets."""
    body = b"".join(avps)
    length = 20 + len(body)
    hbh = hop_by_hop if hop_by_hop is not None else random_identifier()
    e2e = end_to_end if end_to_end is not None else random_identifier()
    return (bytes([1]) + length.to_bytes(3, "big") + bytes([(FLAG_REQUEST if request else 0) | flags])
            + code.to_bytes(3, "big") + struct.pack("!III", app_id, hbh, e2e) + body)


def parse_address(data: bytes) -> str:
    """An Address AVP (RFC 6733 sec. 4.3.1): a 2-byte address family (IANA:
    1 IPv4, 2 IPv6) and the address."""
    family = int.from_bytes(data[:2], "big")
    if family == 1:
        return str(ipaddress.IPv4Address(data[2:6]))
    if family == 2:
        return str(ipaddress.IPv6Address(data[2:18]))
    return f"family {family}: {data[2:].hex()}"


def random_identifier() -> int:
    return int.from_bytes(os.urandom(4), "big")


def utf8(s: str) -> bytes:
    return s.encode()


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


Avp = tuple[int, int, Optional[int], bytes]  # (code, flags, vendor, data)


def find(avps: list[Avp], code: int, vendor: Optional[int] = None) -> Optional[bytes]:
    for c, _, v, data in avps:
        if c == code and v == vendor:
            return data
    return None


@dataclasses.dataclass
class Message:
    flags: int
    code: int
    app_id: int
    avps: list[Avp]
    hop_by_hop: int = 0
    end_to_end: int = 0

    def first(self, code: int, vendor: Optional[int] = None) -> Optional[bytes]:
        if vendor is None:  # any vendor, as CER/CEA readers expect
            for c, _, _, data in self.avps:
                if c == code:
                    return data
            return None
        return find(self.avps, code, vendor)

    @property
    def is_request(self) -> bool:
        return bool(self.flags & FLAG_REQUEST)

    def result_code(self) -> Optional[int]:
        """Result-Code, else the Experimental-Result-Code (RFC 6733 sec. 7.6)."""
        rc = find(self.avps, AVP_RESULT_CODE)
        if rc is not None:
            return struct.unpack("!I", rc)[0]
        er = find(self.avps, AVP_EXPERIMENTAL_RESULT)
        if er is not None:
            code = find(parse_avps(er), AVP_EXPERIMENTAL_RESULT_CODE)
            if code is not None:
                return struct.unpack("!I", code)[0]
        return None


def parse_avps(buf: bytes) -> list[Avp]:
    avps, i = [], 0
    while i < len(buf):
        if len(buf) - i < 8:
            raise ValueError("truncated AVP header")
        c, f = struct.unpack("!IB", buf[i:i + 5])
        alen = int.from_bytes(buf[i + 5:i + 8], "big")
        vendor, hdr = (struct.unpack("!I", buf[i + 8:i + 12])[0], 12) if f & AVP_FLAG_VENDOR else (None, 8)
        if alen < hdr or i + alen > len(buf):
            raise ValueError("bad AVP length")
        avps.append((c, f, vendor, buf[i + hdr:i + alen]))
        i += alen + (-alen % 4)
    return avps


def parse(buf: bytes) -> Message:
    if len(buf) < 20 or buf[0] != 1:
        raise ValueError("not a Diameter message")
    length = int.from_bytes(buf[1:4], "big")
    flags, code = buf[4], int.from_bytes(buf[5:8], "big")
    app_id, hbh, e2e = struct.unpack("!III", buf[8:20])
    return Message(flags, code, app_id, parse_avps(buf[20:length]), hbh, e2e)


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
    host_ip_addresses: list[str] = dataclasses.field(default_factory=list)  # the CEA's

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
                                                  "" if rc else "CEA without Result-Code",
                                                  [parse_address(data) for c, _, v, data in m.avps
                                                   if c == AVP_HOST_IP_ADDRESS and v is None])
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


# ---- a Diameter session for the Delegation application (protocol.md sec. 3)


class ProbeError(Exception):
    """The session could not be set up, or no answer came."""


@dataclasses.dataclass
class TskVector:
    """The TSK-Vector AVP of a DLA (protocol.md sec. 3)."""

    rand: bytes
    generation: int
    lifetime: int
    max_uses: Optional[int]
    tsk: Optional[bytes]  # TSK-Key, in clear
    wrapped_tsk: Optional[bytes]  # Wrapped-TSK-Key (RFC 3394)
    key_wrap_key_id: Optional[str]


def _u32(data: Optional[bytes]) -> Optional[int]:
    return struct.unpack("!I", data)[0] if data is not None else None


def tsk_vector(answer: Message) -> Optional[TskVector]:
    grouped = answer.first(AVP_TSK_VECTOR, ROAMKEY_VENDOR_ID)
    if grouped is None:
        return None
    avps = parse_avps(grouped)

    def get(code: int) -> Optional[bytes]:
        return find(avps, code, ROAMKEY_VENDOR_ID)

    kid = get(AVP_KEY_WRAP_KEY_ID)
    return TskVector(rand=get(AVP_TSK_RAND) or b"", generation=_u32(get(AVP_KEY_GENERATION)) or 0,
                     lifetime=_u32(get(AVP_TSK_LIFETIME)) or 0, max_uses=_u32(get(AVP_TSK_MAX_USES)),
                     tsk=get(AVP_TSK_KEY), wrapped_tsk=get(AVP_WRAPPED_TSK_KEY),
                     key_wrap_key_id=kid.decode() if kid is not None else None)


def _vendor_avp(code: int, data: bytes) -> bytes:
    return avp(code, data, vendor=ROAMKEY_VENDOR_ID)


class DelegationSession:
    """A TLS connection to a home-aaa, as a visited AAA of the Delegation
    application: CER/CEA on entry, DPR on exit; answers the peer's DWR.

        with DelegationSession(host, port, ...) as s:
            dla = s.request(s.delegation_request("alice@home.example", end_to_end=7))
    """

    def __init__(self, host: str, port: int, *, server_identity: str, ca: Path, certificate: Path,
                 private_key: Path, origin_host: str, origin_realm: str, destination_realm: str,
                 timeout: float = 20.0):
        self.address = (host, port)
        self.server_identity = server_identity
        self.ctx = tls_context(ca, certificate, private_key)
        self.origin_host = origin_host
        self.origin_realm = origin_realm
        self.destination_realm = destination_realm
        self.timeout = timeout
        self.tls: Optional[ssl.SSLSocket] = None
        self._sessions = 0

    def __enter__(self) -> "DelegationSession":
        raw = socket.create_connection(self.address, timeout=self.timeout)
        try:
            self.tls = self.ctx.wrap_socket(raw, server_hostname=self.server_identity)
        except (ssl.SSLError, OSError) as e:
            raw.close()
            raise ProbeError(f"TLS handshake with {self.server_identity} failed: {e}")
        cer = capabilities_exchange_request(self.origin_host, self.origin_realm, auth_app_ids=(),
                                            vendor_apps=((ROAMKEY_VENDOR_ID, DELEGATION_APPLICATION_ID),))
        self.tls.sendall(cer)
        cea = self._read_answer(lambda m: m.code == CMD_CAPABILITIES_EXCHANGE)
        if cea.result_code() != DIAMETER_SUCCESS:
            self.tls.close()
            raise ProbeError(f"{self.server_identity} refused the CER: Result-Code {cea.result_code()}")
        return self

    def __exit__(self, *exc) -> None:
        if self.tls is not None:
            _disconnect(self.tls, self.origin_host, self.origin_realm)
            self.tls.close()
            self.tls = None

    def new_session_id(self) -> str:
        # RFC 6733 sec. 8.8: <DiameterIdentity>;<high 32 bits>;<low 32 bits>
        self._sessions += 1
        return f"{self.origin_host};{random_identifier()};{self._sessions}"

    def _header_avps(self, session_id: str) -> list[bytes]:
        return [avp(AVP_SESSION_ID, utf8(session_id)),
                avp(AVP_AUTH_APPLICATION_ID, u32(DELEGATION_APPLICATION_ID)),
                avp(AVP_AUTH_SESSION_STATE, u32(NO_STATE_MAINTAINED)),
                avp(AVP_ORIGIN_HOST, utf8(self.origin_host)),
                avp(AVP_ORIGIN_REALM, utf8(self.origin_realm)),
                avp(AVP_DESTINATION_REALM, utf8(self.destination_realm))]

    def delegation_request(self, user_name: str, *, session_id: Optional[str] = None,
                           end_to_end: Optional[int] = None, hop_by_hop: Optional[int] = None,
                           retransmitted: bool = False) -> bytes:
        """DLR { User-Name }; the same `session_id` and `end_to_end` make it a repetition."""
        avps = self._header_avps(session_id or self.new_session_id()) + [avp(AVP_USER_NAME, utf8(user_name))]
        return message(CMD_DELEGATION, avps, request=True, app_id=DELEGATION_APPLICATION_ID,
                       hop_by_hop=hop_by_hop, end_to_end=end_to_end,
                       flags=FLAG_PROXIABLE | (FLAG_RETRANSMITTED if retransmitted else 0))

    def key_update_report(self, user_name: str, generation: int, status: int = KEY_UPDATE_UPDATED, *,
                          session_id: Optional[str] = None, end_to_end: Optional[int] = None,
                          retransmitted: bool = False) -> bytes:
        """KUR { User-Name } { Key-Generation } { Key-Update-Status }."""
        avps = self._header_avps(session_id or self.new_session_id()) + [
            avp(AVP_USER_NAME, utf8(user_name)),
            _vendor_avp(AVP_KEY_GENERATION, u32(generation)),
            _vendor_avp(AVP_KEY_UPDATE_STATUS, u32(status)),
        ]
        return message(CMD_KEY_UPDATE_REPORT, avps, request=True, app_id=DELEGATION_APPLICATION_ID,
                       end_to_end=end_to_end, flags=FLAG_PROXIABLE | (FLAG_RETRANSMITTED if retransmitted else 0))

    def request(self, raw: bytes) -> Message:
        """Sends a request built above and returns its answer (matched by
        Hop-by-Hop-Identifier, RFC 6733 sec. 3)."""
        if self.tls is None:
            raise ProbeError("not connected")
        sent = parse(raw)
        self.tls.sendall(raw)
        return self._read_answer(lambda m: m.hop_by_hop == sent.hop_by_hop and m.code == sent.code)

    def _read_answer(self, wanted) -> Message:
        assert self.tls is not None
        try:
            while True:
                m = read_message(self.tls)
                if m.is_request:
                    self._answer_peer_request(m)
                elif wanted(m):
                    return m
        except (socket.timeout, ssl.SSLError, ConnectionError, OSError, ValueError) as e:
            raise ProbeError(f"no answer from {self.server_identity}: {type(e).__name__}: {e}")

    def _answer_peer_request(self, m: Message) -> None:
        assert self.tls is not None
        if m.code == CMD_DEVICE_WATCHDOG:  # RFC 6733 sec. 5.5.2
            self.tls.sendall(message(CMD_DEVICE_WATCHDOG, [avp(AVP_RESULT_CODE, u32(DIAMETER_SUCCESS)),
                                                           avp(AVP_ORIGIN_HOST, utf8(self.origin_host)),
                                                           avp(AVP_ORIGIN_REALM, utf8(self.origin_realm))],
                                     request=False, hop_by_hop=m.hop_by_hop, end_to_end=m.end_to_end))
        # Other requests (a KPR or DRR to this probe) stay unanswered: the sender times out.
