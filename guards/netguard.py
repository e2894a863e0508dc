"""Refusing connections to private and local networks (SSRF protection).

A URL a user gives us must not make the server talk to itself, its network or
the cloud metadata service. Two checks:

- `check_url` resolves the host of a URL and refuses it when any of its
  addresses is not public. It gives the web form an early, readable answer.
- `guard_connections` checks every TCP connection the current thread opens,
  at connect time, against the address actually connected to. This catches
  redirects, URLs a yt-dlp extractor finds inside a page, and DNS rebinding
  (a name that resolved to a public address for the first check and to
  127.0.0.1 a moment later).

The second check is the one that matters; the first cannot see redirects.

Only the standard library, so that the web process and the workers both import it.
"""

import http.client
import ipaddress
import socket
import threading
import urllib.parse
from contextlib import contextmanager

ALLOWED_SCHEMES = ("http", "https")

# Networks that carry an IPv4 address inside an IPv6 one. The embedded address
# is checked too, or ::127.0.0.1 would pass as "global".
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


class BlockedURL(ValueError):
    """A URL we refuse to fetch. The message can be shown to the user as it is."""


class HostNotFound(BlockedURL):
    """The host name of a URL does not resolve."""


class BlockedConnection(BlockedURL, OSError):
    """A connection refused by `guard_connections`. An OSError too, so that HTTP
    clients treat it as a failed connection and clean up as usual."""


def is_public_address(address):
    """True when `address` (an ipaddress object) is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if any(not is_public_address(inner) for inner in embedded):
            return False
        if address.is_site_local:
            return False
    return not (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in SHARED_ADDRESS_SPACE
    )


def embedded_ipv4(address):
    """IPv4 addresses an IPv6 address stands for: mapped, compatible, 6to4, Teredo, NAT64."""
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)  # (server, client)
    if address in IPV4_COMPATIBLE or address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def parse_address(text):
    """An ipaddress object for an address literal, or None for a host name.
    Accepts an IPv6 zone (fe80::1%eth0) and drops it."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def normalize_host(host):
    """Lower case, no trailing dot, IDNA (ASCII) form: the form compared with the allow-list."""
    host = host.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if parse_address(host) is not None:
        return str(parse_address(host))
    try:
        # IDNA also maps look-alikes such as fullwidth digits to ASCII.
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise BlockedURL(f"{host!r} is not a valid host name.") from exc


class AllowList:
    """Hosts exempt from the check: names, addresses and networks (10.0.0.0/8),
    each on every port, or on one port only: "media.internal:8080",
    "10.0.0.5:8080", "[fd00::5]:8080". A host allowed on one port stays refused
    on its others, so opening one internal service opens nothing else there."""

    ANY_PORT = None

    def __init__(self, entries=()):
        self.names = {}  # name -> ports allowed (ANY_PORT for all)
        self.networks = []  # (network, port or ANY_PORT)
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            host, port = split_entry(entry)
            try:
                self.networks.append((ipaddress.ip_network(host, strict=False), port))
            except ValueError:
                self.names.setdefault(normalize_host(host), set()).add(port)
        self._addresses = None

    def allows_host(self, host, port):
        return port_allowed(self.names.get(host, ()), port) or self.allows_address(parse_address(host), port)

    def allows_address(self, address, port):
        if address is None:
            return False
        if any(address in network and port_allowed((allowed,), port) for network, allowed in self.networks):
            return True
        return port_allowed(self.addresses_of_names().get(address, ()), port)

    def addresses_of_names(self):
        """{address: ports} for the allowed names, resolved once: at connect
        time only the peer address is known."""
        if self._addresses is None:
            self._addresses = {}
            for name, ports in self.names.items():
                try:
                    addresses = resolve(name, None)
                except HostNotFound:
                    continue
                for address in addresses:
                    self._addresses.setdefault(address, set()).update(ports)
        return self._addresses


def port_allowed(allowed_ports, port):
    return AllowList.ANY_PORT in allowed_ports or port in allowed_ports


def split_entry(entry):
    """(host, port or None) of an allow-list entry. A bare IPv6 address has
    colons of its own: with a port it must be bracketed, "[fd00::5]:8080"."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValueError(f"URL_ALLOWED_HOSTS: {entry!r} is not [address] or [address]:port")
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:
        host, port_text = entry, None
    if port_text is None:
        return host, AllowList.ANY_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"URL_ALLOWED_HOSTS: {entry!r} has no valid port after the colon")
    return host, int(port_text)


def as_allow_list(allowed_hosts):
    return allowed_hosts if isinstance(allowed_hosts, AllowList) else AllowList(allowed_hosts)


def resolve(host, port):
    """Every address `host` resolves to, IPv4 and IPv6, as getaddrinfo sees it
    (so 2130706433, 0x7f.1 and 127.1 come back as 127.0.0.1)."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostNotFound(f"The address of {host} could not be found.") from exc
    addresses = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = parse_address(sockaddr[0])
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(f"The address of {host} could not be found.")
    return addresses


def split_url(url):
    """(scheme, host, port) of an http(s) URL, or BlockedURL."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BlockedURL("This is not a valid web address.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedURL("Only http:// and https:// addresses can be fetched.")
    if not parts.hostname:
        raise BlockedURL("This web address has no host name.")
    return scheme, normalize_host(parts.hostname), port or (443 if scheme == "https" else 80)


def refusal(host, address):
    where = str(address) if host == str(address) else f"{host} ({address})"
    return f"Refused to connect to {where}: it is a private or local network address."


def check_url(url, allowed_hosts=()):
    """The addresses a http(s) URL's host resolves to, when all are public.

    Raises BlockedURL (with a message for the user) for other schemes, a
    malformed URL, or when any address is loopback, private, link-local,
    multicast, reserved, unspecified or shared, IPv4 or IPv6, including IPv6
    forms that embed such an IPv4 address. HostNotFound (a BlockedURL) when the
    name does not resolve. Hosts in `allowed_hosts` (names, addresses or
    networks, optionally with a port: see AllowList) are exempt.
    """
    allow = as_allow_list(allowed_hosts)
    _scheme, host, port = split_url(url)
    literal = parse_address(host)
    addresses = [literal] if literal is not None else resolve(host, port)
    if allow.allows_host(host, port):
        return addresses
    for address in addresses:
        if not is_public_address(address) and not allow.allows_address(address, port):
            raise BlockedURL(refusal(host, address))
    return addresses


def check_webhook_url(url, allowed_hosts=()):
    """The same rules as check_url, for webhook targets."""
    return check_url(url, allowed_hosts)


# Connect-time guard ---------------------------------------------------------

_guarded = threading.local()
_install_lock = threading.Lock()
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class ConnectionGuard:
    """The policy of one `guard_connections` block, and what it refused."""

    def __init__(self, allowed_hosts):
        self.allow = as_allow_list(allowed_hosts)
        self.refused = []  # messages, one per refused connection

    def checked_address(self, host, port, family):
        """The address to connect to: `host` itself when it is a checked
        literal, or a checked address it resolves to (pinned: the socket then
        connects to the address that was checked, not to a second lookup)."""
        address = parse_address(host)
        if address is None:
            candidates = [a for a in resolve(host, port) if a.version == (6 if family == socket.AF_INET6 else 4)]
            if not candidates:
                raise HostNotFound(f"The address of {host} could not be found.")
            for candidate in candidates:
                self.check(host, candidate, port)
            return str(candidates[0])
        self.check(host, address, port)
        return host

    def check(self, host, address, port):
        if is_public_address(address) or self.allow.allows_address(address, port):
            return
        message = refusal(host, address)
        self.refused.append(message)
        raise BlockedConnection(message)


def _peer(sock, address):
    guard = getattr(_guarded, "guard", None)
    if guard is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address
    host, port, *rest = address
    return (guard.checked_address(host, port, sock.family), port, *rest)


def _guarded_connect(self, address):
    return _real_connect(self, _peer(self, address))


def _guarded_connect_ex(self, address):
    return _real_connect_ex(self, _peer(self, address))


def install_connect_hook():
    """Route socket.socket.connect through the guard, once per process. Outside
    a guard_connections block the hook passes every connection through."""
    with _install_lock:
        if socket.socket.connect is not _guarded_connect:
            socket.socket.connect = _guarded_connect
            socket.socket.connect_ex = _guarded_connect_ex


@contextmanager
def guard_connections(allowed_hosts=()):
    """Within the block, every TCP connection this thread opens (any library
    that uses Python sockets: urllib, http.client, requests, yt-dlp's handlers)
    goes to a public address or one in `allowed_hosts`; any other raises
    BlockedConnection before a packet is sent.

    Thread-local on purpose: the worker's other threads keep talking to Redis
    and the database on private addresses. Code in the block must not hand its
    network work to other threads (see workers.fetch for yt-dlp's settings).
    Yields the ConnectionGuard, whose `refused` lists what was refused.
    """
    install_connect_hook()
    guard = ConnectionGuard(allowed_hosts)
    previous = getattr(_guarded, "guard", None)
    _guarded.guard = guard
    try:
        yield guard
    finally:
        _guarded.guard = previous


@contextmanager
def unguarded():
    """Lift this thread's guard for a moment: for our own calls made from inside
    a guarded block (a progress callback writing to the database or Redis,
    which may well live on a private address)."""
    previous = getattr(_guarded, "guard", None)
    _guarded.guard = None
    try:
        yield
    finally:
        _guarded.guard = previous


def guarded_post(url, body, headers=None, allowed_hosts=(), timeout=10.0):
    """POST `body` (bytes) to a http(s) URL whose every address is public (or allowed).

    Redirects are not followed: a 3xx comes back as the status. Returns the
    HTTP status code. Raises BlockedURL for a refused URL or address,
    HostNotFound when the host does not resolve, OSError (incl. TimeoutError)
    and http.client.HTTPException for network failures.
    """
    check_url(url, allowed_hosts)
    parts = urllib.parse.urlsplit(url.strip())
    https = parts.scheme.lower() == "https"
    connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    with guard_connections(allowed_hosts):
        try:
            connection.request("POST", target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            response.read(64 * 1024)  # a polite read; the body is not used
            return response.status
        finally:
            connection.close()
