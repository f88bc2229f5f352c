from webapp.knowledge.views import bp

__all__ = ["bp"]
