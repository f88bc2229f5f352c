from webapp.inbox.views import bp

__all__ = ["bp"]
