"""Template context of every portal page: the role-filtered menu and the time zone times are shown in."""

from .formatting import portal_time_zone
from .navigation import menu_for


def portal(request):
    user = getattr(request, "user", None)
    menu = menu_for(user, request.path) if user is not None and user.is_authenticated else []
    return {"portal_menu": menu, "portal_time_zone": str(portal_time_zone())}
