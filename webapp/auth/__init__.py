from webapp.auth.views import bp

__all__ = ["bp"]
