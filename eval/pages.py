"""Pages ``eval`` adds to the app, through the ``commons.pages`` entry point."""

from pathlib import Path

# What ui/app.py needs to register a page: the file to run and how it appears in the menu.
PAGE = {"path": str(Path(__file__).with_name("app_page.py")), "title": "Evaluate",
        "icon": ":material/analytics:", "url_path": "evaluate"}
