"""Posts and feed routes (API.md). Both slash forms via ``socialflow.api.routers.api_route``.

The ``users/{username}/posts`` sub-route is more specific than the accounts app's
``users/<username>`` profile route, so the two never clash.
"""

from posts.api import feed_views, views
from socialflow.api.routers import api_route

POST_ID = r"(?P<post_id>[^/]+)"
USER = r"users/(?P<username>[^/]+)"


urlpatterns = [
    api_route("posts", views.PostCreateView.as_view(), name="posts-create"),
    api_route(f"posts/{POST_ID}", views.PostDetailView.as_view(), name="posts-detail"),
    api_route(f"posts/{POST_ID}/replies", views.PostRepliesView.as_view(), name="posts-replies"),
    api_route(f"posts/{POST_ID}/edits", views.PostEditsView.as_view(), name="posts-edits"),
    api_route(f"posts/{POST_ID}/like", views.PostLikeView.as_view(), name="posts-like"),
    api_route(f"posts/{POST_ID}/repost", views.PostRepostView.as_view(), name="posts-repost"),
    api_route(f"posts/{POST_ID}/bookmark", views.PostBookmarkView.as_view(), name="posts-bookmark"),
    api_route("bookmarks", views.BookmarksView.as_view(), name="bookmarks"),
    api_route("media", views.MediaUploadView.as_view(), name="media-upload"),
    api_route(f"{USER}/posts", views.UserPostsView.as_view(), name="users-posts"),
    api_route("feed/home", feed_views.HomeFeedView.as_view(), name="feed-home"),
    api_route("feed/for-you", feed_views.ForYouFeedView.as_view(), name="feed-for-you"),
    api_route("hashtags/trending", feed_views.TrendingHashtagsView.as_view(), name="hashtags-trending"),
    api_route(r"hashtags/(?P<tag>[^/]+)/posts", feed_views.HashtagPostsView.as_view(), name="hashtags-posts"),
    api_route("search", feed_views.SearchView.as_view(), name="search"),
    api_route("search/suggest", feed_views.SearchSuggestView.as_view(), name="search-suggest"),
    api_route("search/trending", feed_views.SearchTrendingView.as_view(), name="search-trending"),
]
