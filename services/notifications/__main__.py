"""python -m services.notifications api|worker|migrate"""

from services.notifications.config import NotificationsSettings
from services.notifications.main import create_app, migrate, run_worker
from shared.cli import service_main

if __name__ == "__main__":
    service_main(NotificationsSettings, create_app, run_worker, migrate)
