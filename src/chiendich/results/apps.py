from django.apps import AppConfig


class ResultsConfig(AppConfig):
    """Digitized results of resolved dossiers: store, search, once-only reuse."""

    name = "chiendich.results"
    verbose_name = "Kho kết quả số hóa"
