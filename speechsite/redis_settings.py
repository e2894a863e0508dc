"""The connection part of RQ_QUEUES: a plain REDIS_URL, or Redis behind Sentinel
(REDIS_SENTINELS), so that the queue survives the loss of the Redis host."""

from django.core.exceptions import ImproperlyConfigured
from redis.connection import SENTINEL
from redis.sentinel import SentinelManagedConnection


class InterruptSafeSentinelConnection(SentinelManagedConnection):
    """A Sentinel connection that is dropped when a read is interrupted.

    redis-py 8.1.0's SentinelManagedConnection.read_response defaults
    disconnect_on_error to False (every other connection: True). An exception
    raised during a read (RQ's warm-shutdown signal during BLPOP, a job timeout)
    then returns the connection to the pool with the reply unread: the next
    command reads the previous one's reply, or waits out BLPOP's 405 s (a
    SIGTERMed idle worker did not exit). redis/redis-py pull request #4292 fixes
    it upstream; drop this class once a release has it.
    """

    def read_response(self, disable_decoding=False, *, timeout=SENTINEL, disconnect_on_error=True, push_request=False):
        return super().read_response(
            disable_decoding, timeout=timeout, disconnect_on_error=disconnect_on_error, push_request=push_request
        )


def parse_addresses(value: str) -> list[tuple[str, int]]:
    """"sentinel-a:26379,sentinel-b:26379" -> [("sentinel-a", 26379), ("sentinel-b", 26379)]"""
    addresses = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS: {item!r} is not host:port")
        addresses.append((host.strip("[]"), int(port)))
    return addresses


def redis_connection(env) -> dict:
    sentinels = env("REDIS_SENTINELS")
    if not sentinels:
        return {"URL": env("REDIS_URL") or "redis://127.0.0.1:6379/0"}
    # No "URL" key: django-rq looks at URL first and would ignore SENTINELS.
    return {
        "SENTINELS": parse_addresses(sentinels),
        "MASTER_NAME": env("REDIS_SENTINEL_MASTER") or "speechsite",
        "DB": int(env("REDIS_DB") or 0),
        "PASSWORD": env("REDIS_PASSWORD") or None,
        # Bounded waits: a dead master is noticed, and Sentinel asked again.
        "SOCKET_TIMEOUT": 5,
        "CONNECTION_KWARGS": {"socket_connect_timeout": 2, "connection_class": InterruptSafeSentinelConnection},
        "SENTINEL_KWARGS": {"socket_timeout": 1, "password": env("REDIS_SENTINEL_PASSWORD") or None},
    }
