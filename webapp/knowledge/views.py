from flask import Blueprint, render_template

bp = Blueprint("knowledge", __name__)


@bp.get("/data-sources")
def data_sources():
    return render_template("knowledge/data_sources.html")
