"""The job dashboard (/admin/rq) in the browser: job data is shown as text and never runs, and its
actions still work under the app's Content-Security-Policy, each sending the CSRF token."""

import pytest
from playwright.sync_api import expect
from rq import Queue, Worker
from rq.job import Job, JobStatus

from tests.browser.conftest import log_in
from tests.conftest import run_worker

pytestmark = pytest.mark.browser

# Markup a Help Center (or anything else a job reads) could put into an exception, an argument or
# the job's metadata. Without quotes, so it survives repr() and JSON encoding as live markup.
HOSTILE = "<img src=x onerror=document.title=/pwned/.source><script>window.pwned=1</script>"
FAILURE = f"Front's Help Center answered 502: {HOSTILE}"
# The job's description, as far as RQ keeps it (it shortens long arguments).
DESCRIPTION = "fail_like_a_hostile_help_center('<img src=x onerror=document.title=/pwned/.source><script>"


def fail_like_a_hostile_help_center(*args, **kwargs):
    """A job that fails with the text a hostile Help Center sent (run by the test's worker)."""
    raise RuntimeError(FAILURE)


def _hostile_failed_job(app) -> Job:
    """A job that really failed in a worker, with hostile text in every field it shows."""
    queue = Queue("knowledge", connection=app.extensions["redis"])
    job = queue.enqueue(
        fail_like_a_hostile_help_center, HOSTILE, note=HOSTILE, job_id="hostile-job", meta={"source": HOSTILE}
    )
    assert [failed.id for failed in run_worker(allow_failures=True)] == [job.id]
    return job


def _hostile_busy_worker(app, job: Job) -> None:
    """A worker registered under a hostile name, busy with the hostile job, for the workers page."""
    worker = Worker([Queue("knowledge", connection=app.extensions["redis"])], name=f"worker{HOSTILE}")
    worker.register_birth()
    worker.set_current_job_id(job.id)


def _nothing_ran(page) -> None:
    """The hostile markup is nowhere in the page as elements, and nothing of it ran."""
    page.wait_for_load_state("networkidle")  # a broken <img> would have fired its onerror by now
    assert page.locator('img[src="x"]').count() == 0, "job data was inserted into the page as HTML"
    assert page.evaluate("() => [...document.scripts].some((s) => s.text.includes('pwned'))") is False
    assert page.evaluate("() => typeof window.pwned") == "undefined"
    assert page.title() != "pwned"


def test_job_data_is_shown_as_text_and_never_runs(app, page, owner):
    job = _hostile_failed_job(app)
    _hostile_busy_worker(app, job)
    log_in(page, owner.email)

    # The failed jobs of the queue: the exception and the description.
    page.goto("/admin/rq/0/view/jobs/knowledge/failed/8/asc/1")
    row = page.locator("tr", has_text="hostile-job")
    expect(row).to_contain_text("Help Center answered 502")
    _nothing_ran(page)
    expect(row.locator("pre")).to_contain_text(FAILURE)
    expect(row).to_contain_text(DESCRIPTION)

    # The job's own page: exception, description and metadata.
    page.goto(f"/admin/rq/0/view/job/{job.id}")
    expect(page.get_by_text("Help Center answered 502")).to_be_visible()
    _nothing_ran(page)
    expect(page.locator("pre", has_text="Help Center answered 502")).to_contain_text(FAILURE)
    expect(page.get_by_text(DESCRIPTION)).to_be_visible()
    expect(page.get_by_text(f'{{"source": "{HOSTILE}"}}')).to_be_visible()

    # The workers page: the worker's name and the description of its job.
    page.goto("/admin/rq/0/view/workers")
    expect(page.locator("td", has_text=f"worker{HOSTILE}")).to_be_visible()
    _nothing_ran(page)

    # The queues page and a jobs page for a queue named in the address, as a link could.
    page.goto("/admin/rq/")
    expect(page.get_by_role("cell", name="knowledge", exact=True)).to_be_visible()
    _nothing_ran(page)
    page.goto("/admin/rq/0/view/jobs/%3Cimg%20src%3Dx%20onerror%3Dwindow.pwned%3D1%3E/queued/8/asc/1")
    expect(page.get_by_text("No jobs.")).to_be_visible()
    _nothing_ran(page)

    assert page.console.errors == []


def _failed(queue: Queue, job_id: str) -> Job:
    job = queue.enqueue("jobs.knowledge.sync_knowledge_source", 1, job_id=job_id)
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(job, exc_string=f"FrontError: {job_id} failed")
    return job


def test_requeue_delete_and_empty_work_under_the_policy_with_the_csrf_token(app, page, owner):
    redis_client = app.extensions["redis"]
    queue = Queue("knowledge", connection=redis_client)
    for job_id in ("failed-a", "failed-b", "failed-c", "failed-d", "failed-e"):
        _failed(queue, job_id)
    log_in(page, owner.email)
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request))

    response = page.goto("/admin/rq/0/view/jobs/knowledge/failed/8/asc/1")
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy
    assert page.locator('meta[name="csrf-token"]').get_attribute("content")

    # Requeue one failed job from the list, then delete another.
    page.locator('tr[data-job-id="failed-a"]').get_by_role("button", name="Requeue").click()
    expect(page.locator('tr[data-job-id="failed-a"]')).to_have_count(0)
    assert "failed-a" in queue.get_job_ids()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('tr[data-job-id="failed-b"]').get_by_role("button", name="Delete").click()
    expect(page.locator('tr[data-job-id="failed-b"]')).to_have_count(0)
    assert not Job.exists("failed-b", connection=redis_client)

    # On a job's page: requeue it, then delete it.
    page.goto("/admin/rq/0/view/job/failed-c")
    page.get_by_role("button", name="Requeue").click()
    expect(page.get_by_text("queued", exact=True)).to_be_visible()
    assert "failed-c" in queue.get_job_ids()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/admin/rq/")
    assert not Job.exists("failed-c", connection=redis_client)

    # Requeue all that failed, then empty the queue.
    page.goto("/admin/rq/0/view/jobs/knowledge/failed/8/asc/1")
    expect(page.locator("tr[data-job-id]")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Requeue all").click()
    expect(page.get_by_text("No jobs.")).to_be_visible()
    assert queue.failed_job_registry.get_job_ids() == []
    page.goto("/admin/rq/0/view/jobs/knowledge/queued/8/asc/1")
    expect(page.locator("tr[data-job-id]")).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Empty queue").click()
    expect(page.get_by_text("No jobs.")).to_be_visible()
    assert queue.count == 0

    # Each action was one POST that carried the page's CSRF token, and was accepted.
    assert [(post.url.split("/admin/rq/")[1], post.response().status) for post in posts] == [
        ("job/failed-a/requeue", 200),
        ("job/failed-b/delete", 200),
        ("job/failed-c/requeue", 200),
        ("job/failed-c/delete", 200),
        ("requeue/knowledge", 200),
        ("queue/knowledge/queued/empty", 200),
    ]
    assert all(post.headers.get("x-csrftoken") for post in posts)
    assert page.console.errors == []


def test_every_dashboard_page_leads_back_to_the_inbox_and_the_settings(app, page, owner):
    log_in(page, owner.email)
    for path in ("/admin/rq/", "/admin/rq/0/view/jobs", "/admin/rq/0/view/workers"):
        page.goto(path)
        back = page.get_by_role("list", name="Back to Switchboard")
        expect(back.get_by_role("link", name="Back to the Inbox")).to_be_visible()
        expect(back.get_by_role("link", name="Settings")).to_be_visible()

    page.get_by_role("link", name="Back to the Inbox").click()
    page.wait_for_url("**/inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()

    page.goto("/admin/rq/")
    page.get_by_role("list", name="Back to Switchboard").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings/ticketing/front")
    expect(page.get_by_role("heading", name="Front", exact=True)).to_be_visible()
    assert page.console.errors == []
