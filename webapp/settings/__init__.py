from webapp.settings.views import bp

__all__ = ["bp"]
