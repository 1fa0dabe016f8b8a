"""Tour: the tutorial's argument as steps over the app's own pages (lvm_app/tour.py draws it)."""
from lvm_app.routing import require_router
from lvm_app.tour import overview

require_router()
overview()
