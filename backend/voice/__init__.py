"""Voice rooms for live sessions ("Talk", issue 15) through the Daily.co REST
API. Server side only: the Daily API key never reaches the desktop app."""
