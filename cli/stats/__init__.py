"""Call analytics over result files: the seed's seven metrics, as tables, JSON or an HTML page.

records (reads the folders) -> compute (pure metrics) -> text / html (pure rendering).
"""
