"""The WSGI app ``bench.ingest`` serves: Switchboard itself, plus one trivial endpoint.

``/bench/trivial`` lives on the same app as the webhook, so it passes through the same
gunicorn worker, the same login gate, security headers and session handling; what the webhook
costs beyond it is the webhook's own work (token lookup, signature, JSON, journal, enqueue).
"""

from flask import jsonify

from bench.ingest import TRIVIAL_PATH
from webapp import create_app
from webapp.extensions import csrf
from webapp.security import public


@public
@csrf.exempt
def trivial():
    return jsonify({"status": "ok"}), 200


app = create_app()
app.add_url_rule(TRIVIAL_PATH, "bench_trivial", trivial, methods=["GET", "POST"])
