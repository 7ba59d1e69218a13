"""python -m services.portal api|migrate"""

from services.portal.config import PortalSettings
from services.portal.main import create_app, migrate, run_worker
from shared.cli import service_main

if __name__ == "__main__":
    service_main(PortalSettings, create_app, run_worker, migrate)
