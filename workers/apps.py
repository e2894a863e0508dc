from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """The worker side: RQ jobs, the reaper and the operators' commands. Its
    models are transcripts'; it owns everything a job writes."""

    name = "workers"
