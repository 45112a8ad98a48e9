import pytest

from accounts.models import User
from posts import services

pytestmark = pytest.mark.django_db


def test_it_renders_the_post_moderation_list_with_search_and_filters(client, alice):
    services.post_create(author=alice, text="findable #tag")
    admin = User.objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(admin)
    for query in ("", "?q=findable", "?state=hidden", "?kind=reply", "?visibility__exact=public"):
        response = client.get(f"/admin/posts/post/{query}")
        assert response.status_code == 200
    assert b"findable" in client.get("/admin/posts/post/?q=findable").content
