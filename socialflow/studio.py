"""The landing page and the Studio home; each domain adds its own Studio pages under /studio/<app>/.

A domain's section appears on the Studio home once its ``urls.py`` names an ``index`` page.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

SECTIONS = [
    ("videos:index", "Videos", "Upload with progress, edit, and watch processing."),
    ("live:index", "Live", "Go live: stream keys, chat moderation, recordings."),
    ("analytics:index", "Analytics", "Views, watch time and audience charts."),
    ("monetization:index", "Earnings", "Memberships, tips, ad revenue and payouts."),
    ("copyright:index", "Copyright", "Claims on your videos and disputes."),
    ("moderation:index", "Account standing", "Warnings, strikes, held content and appeals."),
    ("notifications:index", "Notification settings", "What reaches you, and where."),
    ("accounts:index", "Account", "Profile, password and two-factor authentication."),
]


def studio_sections() -> list[dict]:
    sections = []
    for url_name, title, description in SECTIONS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        sections.append({"url": url, "title": title, "description": description})
    return sections


def landing(request):
    return render(request, "landing.html")


@login_required
def home(request):
    return render(request, "studio/home.html", {"studio_pages": studio_sections()})
