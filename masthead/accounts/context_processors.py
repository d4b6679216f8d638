from django.http import HttpRequest

from .services import SESSION_GATE_EMAIL_KEY


def pending_code(request: HttpRequest) -> dict:
    """The address a gate code went to, while the reader has not yet signed in with it."""
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated or not hasattr(request, "session"):
        return {}
    return {"pending_code_email": request.session.get(SESSION_GATE_EMAIL_KEY)}
