"""Posts, graph and feed routes (API.md). Both slash forms via ``api_path``.

The ``users/{username}/…`` sub-routes are more specific than the accounts app's
``users/<username>`` profile route, so the two never clash.
"""

from django.urls import re_path

from posts.api import feed_views, graph_views, views

POST_ID = r"(?P<post_id>[^/]+)"
USER = r"users/(?P<username>[^/]+)"


def api_path(pattern: str, view, name: str) -> list:
    """One pattern accepting both slash forms (API.md) — and one operation in the schema."""
    return [re_path(rf"^{pattern}/?$", view, name=name)]


urlpatterns = [
    *api_path("posts", views.PostCreateView.as_view(), name="posts-create"),
    *api_path(f"posts/{POST_ID}", views.PostDetailView.as_view(), name="posts-detail"),
    *api_path(f"posts/{POST_ID}/replies", views.PostRepliesView.as_view(), name="posts-replies"),
    *api_path(f"posts/{POST_ID}/edits", views.PostEditsView.as_view(), name="posts-edits"),
    *api_path(f"posts/{POST_ID}/like", views.PostLikeView.as_view(), name="posts-like"),
    *api_path(f"posts/{POST_ID}/repost", views.PostRepostView.as_view(), name="posts-repost"),
    *api_path(f"posts/{POST_ID}/bookmark", views.PostBookmarkView.as_view(), name="posts-bookmark"),
    *api_path("bookmarks", views.BookmarksView.as_view(), name="bookmarks"),
    *api_path("media", views.MediaUploadView.as_view(), name="media-upload"),
    *api_path(f"{USER}/posts", views.UserPostsView.as_view(), name="users-posts"),
    *api_path(f"{USER}/follow", graph_views.FollowView.as_view(), name="users-follow"),
    *api_path(f"{USER}/block", graph_views.BlockView.as_view(), name="users-block"),
    *api_path(f"{USER}/mute", graph_views.MuteView.as_view(), name="users-mute"),
    *api_path(f"{USER}/followers", graph_views.FollowersView.as_view(), name="users-followers"),
    *api_path(f"{USER}/following", graph_views.FollowingView.as_view(), name="users-following"),
    *api_path("follow-requests", graph_views.FollowRequestsView.as_view(), name="follow-requests"),
    *api_path(
        r"follow-requests/(?P<request_id>[^/]+)/accept",
        graph_views.FollowRequestAcceptView.as_view(),
        name="follow-requests-accept",
    ),
    *api_path(
        r"follow-requests/(?P<request_id>[^/]+)/reject",
        graph_views.FollowRequestRejectView.as_view(),
        name="follow-requests-reject",
    ),
    *api_path("feed/home", feed_views.HomeFeedView.as_view(), name="feed-home"),
    *api_path("feed/for-you", feed_views.ForYouFeedView.as_view(), name="feed-for-you"),
    *api_path("hashtags/trending", feed_views.TrendingHashtagsView.as_view(), name="hashtags-trending"),
    *api_path(r"hashtags/(?P<tag>[^/]+)/posts", feed_views.HashtagPostsView.as_view(), name="hashtags-posts"),
    *api_path("search", feed_views.SearchView.as_view(), name="search"),
    *api_path("search/suggest", feed_views.SearchSuggestView.as_view(), name="search-suggest"),
    *api_path("search/trending", feed_views.SearchTrendingView.as_view(), name="search-trending"),
]
