"""Demo posts and follows among the demo users (idempotent: nothing is added twice)."""

from accounts import services as accounts_services
from accounts.models import Follow
from posts import services
from posts.models import Post

FOLLOWS = [("bob", "alice"), ("charlie", "alice"), ("alice", "bob"), ("charlie", "bob")]
POSTS = [
    ("alice", "Welcome to Social Flow! My first video is up in the studio #launch #video", None),
    ("bob", "Congrats @alice, can't wait to watch it #launch", 0),
    ("alice", "Thanks @bob! Next one is about #django and #celery", 1),
    ("charlie", "Anyone else here for the #django content? Say hi", None),
    ("bob", "Morning run done, 10 km in the rain #running", None),
]


def seed(*, context: dict, stdout) -> None:
    users = context.get("users", {})
    if not all(name in users for name in ("alice", "bob", "charlie")):
        return
    for follower, followee in FOLLOWS:
        if not Follow.objects.filter(follower=users[follower], followee=users[followee]).exists():
            accounts_services.follow_create(follower=users[follower], followee=users[followee])
    created: list[Post] = []
    for author, text, reply_index in POSTS:
        post = Post.objects.filter(author=users[author], text=text, deleted_at__isnull=True).first()
        if post is None:
            reply_to = created[reply_index].pk if reply_index is not None else None
            post = services.post_create(author=users[author], text=text, reply_to_id=reply_to)
        created.append(post)
    if not Post.objects.filter(author=users["charlie"], repost_of=created[0]).exists():
        services.repost_create(user=users["charlie"], post=created[0])
    services.like_create(user=users["bob"], post=created[0])
    services.like_create(user=users["charlie"], post=created[0])
    context["posts"] = created
    stdout.write(f"Demo posts: {Post.objects.filter(deleted_at__isnull=True).count()} posts, follows among demo users")
