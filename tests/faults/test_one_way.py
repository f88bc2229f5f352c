"""Commands sent without waiting for their replies (``webapp.one_way``): they land, Redis's
errors are read and logged later, and a restart of Redis costs no command sent after it."""

import logging
import os

import pytest
import redis

from tests.conftest import wait_for
from webapp import one_way

KEY = "one-way-test"


@pytest.fixture
def client(redis_server_process):
    client = redis.Redis.from_url(redis_server_process.url, socket_timeout=1, socket_connect_timeout=0.5)
    yield client
    client.close()


def test_commands_land_in_order_without_waiting(client):
    sender = one_way.to(client)
    for n in range(200):
        sender.send("RPUSH", KEY, n)
    assert one_way.to(client) is sender
    wait_for(lambda: client.llen(KEY) == 200, 5, "the 200 pushes to land")
    assert client.lrange(KEY, 0, -1) == [str(n).encode() for n in range(200)]


def test_an_error_reply_is_logged_at_the_next_send_and_the_connection_goes_on(client, caplog):
    client.set(KEY, "not a list")
    sender = one_way.to(client)
    sender.send("RPUSH", KEY, 1)  # WRONGTYPE, answered while this returns
    sender.send("SET", "marker", 1)  # once it is set, the error before it is on its way back
    wait_for(lambda: client.get("marker"), 5, "Redis to handle both")
    client.delete(KEY)
    with caplog.at_level(logging.WARNING, logger="webapp.one_way"):
        sender.send("RPUSH", KEY, 2)
    assert "WRONGTYPE" in caplog.text
    wait_for(lambda: client.lrange(KEY, 0, -1) == [b"2"], 5, "the push after the error to land")


def test_a_restart_of_redis_costs_no_command_sent_after_it(client, redis_server_process):
    sender = one_way.to(client)
    sender.send("RPUSH", KEY, "before")
    wait_for(lambda: client.llen(KEY) == 1, 5, "the first push to land")

    redis_server_process.stop()
    with pytest.raises(redis.ConnectionError):
        sender.send("RPUSH", KEY, "while down")
    redis_server_process.start()

    sender.send("RPUSH", KEY, "after")  # on a new connection: the old one was closed by Redis
    wait_for(lambda: client.lrange(KEY, 0, -1) == [b"after"], 5, "the push after the restart to land")


def test_a_connection_closed_under_a_live_redis_is_replaced_before_the_next_send(client):
    sender = one_way.to(client)
    sender.send("CLIENT", "SETNAME", "one-way")
    wait_for(lambda: any(c.get("name") == "one-way" for c in client.client_list()), 5, "the connection to be named")
    client.client_kill_filter(_type="normal", skipme=True)  # the server closes it, as a restart would

    sender.send("RPUSH", KEY, "after the kill")
    wait_for(lambda: client.lrange(KEY, 0, -1) == [b"after the kill"], 5, "the push to land")


def test_a_forked_child_sends_on_its_own_connection(client):
    sender = one_way.to(client)
    sender.send("RPUSH", KEY, "parent")
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            sender.send("RPUSH", KEY, "child")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    sender.send("RPUSH", KEY, "parent again")  # the parent's connection was left alone
    wait_for(lambda: sorted(client.lrange(KEY, 0, -1)) == [b"child", b"parent", b"parent again"], 5, "all three")
