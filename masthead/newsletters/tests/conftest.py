import pytest


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    settings.NEWSLETTER_BASE_URL = "https://news.example"
    settings.NEWSLETTER_FROM_EMAIL = "The Meridian Review <newsletters@meridian.example>"
    settings.NEWSLETTER_SEND_RATE = 0
    settings.NEWSLETTER_BATCH_SIZE = 50
