"""python -m services.projects api|worker|migrate"""

from services.projects.config import ProjectsSettings
from services.projects.main import create_app, migrate, run_worker
from shared.cli import service_main

if __name__ == "__main__":
    service_main(ProjectsSettings, create_app, run_worker, migrate)
