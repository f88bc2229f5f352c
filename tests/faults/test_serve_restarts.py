"""`switchboard serve` keeps running when one of its processes dies: a worker killed with
SIGKILL is started again, while the web server answers throughout and the scheduler carries on."""

import os
import signal

import redis
from rq import Worker


def test_a_worker_killed_under_serve_is_back_while_the_web_server_keeps_answering(serve, redis_server_process):
    server = serve()
    server.wait_until_up()
    before = server.children()
    [killed] = before["worker"]
    queue_redis = redis.Redis.from_url(redis_server_process.url)

    os.kill(killed, signal.SIGKILL)  # as the kernel's OOM killer would, with no warning
    answers = []

    def a_new_worker_is_up():
        health = server.health()  # fails the test at once if the web server does not answer
        answers.append(health.status_code)
        workers = server.children()["worker"]
        if not workers or workers == [killed] or health.json()["workers"] < 1:
            return False
        return any(worker.pid == workers[0] for worker in Worker.all(connection=queue_redis))  # registered

    server.wait_for(a_new_worker_is_up, 60, "a new worker to be registered")
    assert set(answers) == {200}, answers  # the web server answered, and healthily, every time
    after = server.children()
    assert after["web"] == before["web"] and after["scheduler"] == before["scheduler"]  # left alone
    assert f"the worker (pid {killed}) was killed by SIGKILL" in server.output()
    assert "starting it again in 1 s" in server.output()
