"""python -m services.funding api|worker|migrate"""

from services.funding.config import FundingSettings
from services.funding.main import create_app, migrate, run_worker
from shared.cli import service_main

if __name__ == "__main__":
    service_main(FundingSettings, create_app, run_worker, migrate)
