"""python -m services.kpi api|worker|migrate"""

from services.kpi.config import KpiSettings
from services.kpi.main import create_app, migrate, run_worker
from shared.cli import service_main

if __name__ == "__main__":
    service_main(KpiSettings, create_app, run_worker, migrate)
