"""Each classifier on small generated fixtures; the interface and the registry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from moderation import classifiers
from moderation.classifiers import nsfw, pdq, spam, toxicity
from moderation.classifiers.base import IMAGE, TEXT, Classifier, Item, Result
from moderation.classifiers.text import fingerprint, normalise
from moderation.models import HashEntry, Signal, SpamModel, WatchedWord
from moderation.tests.images import as_array, gradient, shapes

# --- the interface ---------------------------------------------------------------------------------


def test_the_registry_has_every_classifier_behind_one_interface():
    assert classifiers.names() == ["nsfw", "pdq", "spam", "toxicity", "watched_words"]
    assert [c.name for c in classifiers.for_item(Item(kind=IMAGE))] == ["nsfw", "pdq"]
    assert [c.name for c in classifiers.for_item(Item(kind=TEXT, text="x"))] == ["spam", "toxicity", "watched_words"]
    for name in classifiers.names():
        assert isinstance(classifiers.get(name), Classifier)


def test_a_better_model_replaces_one_without_touching_callers():
    original = classifiers.get("toxicity")

    class Always(Classifier):
        name, kind, model, version = "toxicity", TEXT, "always", "2"

        def classify(self, item):
            return Result(score=0.99, label="test")

    try:
        classifiers.register(Always())
        (found,) = [c for c in classifiers.for_item(Item(kind=TEXT, text="hi")) if c.name == "toxicity"]
        assert found.model == "always" and found.classify(Item(kind=TEXT, text="hi")).score == 0.99
    finally:
        classifiers.register(original)


# --- NSFW ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benign_generated_images_pass_nsfw_and_the_real_model_ran(seed):
    classifier = classifiers.get("nsfw")
    before = classifier.runs
    result = classifier.classify(Item(kind=IMAGE, image=as_array(shapes(seed=seed))))
    assert classifier.runs == before + 1
    assert nsfw.detector() is not None and len(nsfw._model_digest) == 12  # the wheel's 320n.onnx
    assert result.score < 0.3
    assert classifier.model == "nudenet-320n" and classifier.version == "3.4.2"
    assert "detections" in result.details and result.details["model_sha256"] == nsfw._model_digest


# --- toxicity and watched words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f*** you", "fuck you"),
        ("sh*t happens", "shit happens"),
        ("you are a b!tch", "you are a bitch"),
        ("f.u.c.k off", "fuck off"),
        ("fuuuuuck", "fuck"),
        ("1D10T", "idiot"),
        ("@sshole", "asshole"),
        ("fück", "fuck"),
        ("I paid $5 for 1 item", "i paid $5 for 1 item"),
        ("I am a U.S. citizen", "i am a u.s. citizen"),
    ],
)
def test_normalisation_undoes_obfuscation(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize("text", ["f*** you", "f.u.c.k you", "you stupid b!tch", "what a piece of sh*t"])
def test_obfuscated_abuse_scores_high(text):
    result = classifiers.get("toxicity").classify(Item(kind=TEXT, text=text))
    assert result.score >= 0.85, result
    assert result.details["normalised"] >= result.details["raw"]


@pytest.mark.parametrize("text", ["What a lovely sunset over the lake", "Thanks for the tutorial, it helped a lot"])
def test_ordinary_text_scores_low(text):
    result = classifiers.get("toxicity").classify(Item(kind=TEXT, text=text))
    assert result.score < 0.5 and -1 <= result.details["sentiment"] <= 1


def test_watched_words_match_normalised_whole_words(db):
    WatchedWord.objects.create(phrase="grift coin", action=WatchedWord.Action.REMOVE)
    WatchedWord.objects.create(phrase="scam", action=WatchedWord.Action.HOLD)
    toxicity.watched_words_changed()
    words = classifiers.get("watched_words")
    assert words.classify(Item(kind=TEXT, text="buy GR1FT   COIN today")).decision == "remove"
    held = words.classify(Item(kind=TEXT, text="this is a s.c.a.m"))
    assert held.decision == "hold" and held.label == "scam"
    assert words.classify(Item(kind=TEXT, text="scampi for dinner")).decision == "allow"


# --- spam ------------------------------------------------------------------------------------------------


def test_the_seed_corpus_is_deterministic_and_the_seed_model_separates_it(db):
    assert spam.seed_corpus() == spam.seed_corpus()
    spam.forget_loaded_model()
    version, model = spam.current_model()
    assert version == spam.SEED_VERSION
    classifier = classifiers.get("spam")
    ad = classifier.classify(Item(kind=TEXT, text="Cheap crypto signals 100% guaranteed, click the link"))
    chat = classifier.classify(Item(kind=TEXT, text="I loved the concert with friends last weekend"))
    assert ad.details["naive_bayes"] > 0.9 > 0.1 > chat.details["naive_bayes"]


def _spam_signal(author, text, minutes_ago=0):
    from django.contrib.contenttypes.models import ContentType

    signal = Signal.objects.create(
        target_type="post",
        target_content_type=ContentType.objects.get_for_model(author),
        target_id=Signal.objects.count() + 1000,
        author=author,
        classifier="spam",
        model="rules+naive-bayes",
        version="nb-v0",
        input_key=f"k{Signal.objects.count()}",
        fingerprint=fingerprint(text),
        excerpt=text,
        score=0.1,
    )
    Signal.objects.filter(pk=signal.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return signal


def test_a_posting_flood_trips_the_rate_rule(db, settings):
    settings.MODERATION_SPAM_RATE_LIMIT = 5
    author = UserFactory()
    for i in range(6):
        _spam_signal(author, f"ordinary message number {i} about my day")
    result = classifiers.get("spam").classify(Item(kind=TEXT, text="hello again", author_id=author.pk))
    assert result.label == "rate" and result.score >= 0.75


def test_the_same_text_from_several_accounts_is_a_campaign(db, settings):
    settings.MODERATION_SPAM_DUPLICATE_ACCOUNTS = 3
    text = "Good morning everyone, have a nice day 123"
    for _ in range(2):
        _spam_signal(UserFactory(), text.replace("123", "456"))  # digits vary: the same fingerprint
    _spam_signal(UserFactory(), "an old copy", minutes_ago=60 * 48)
    result = classifiers.get("spam").classify(Item(kind=TEXT, text=text, author_id=UserFactory().pk))
    assert result.label == "duplicate" and result.score >= 0.8
    assert result.details["rules"]["duplicate"] >= 0.8


def test_link_density_and_a_new_account_raise_the_score(db):
    new = UserFactory()
    text = "https://a.example https://b.example https://c.example"
    item = Item(kind=TEXT, text=text, author_id=new.pk, author_joined=timezone.now())
    result = classifiers.get("spam").classify(item)
    assert result.details["links"] == 3 and "links" in result.details["rules"] and result.details["new_account"]
    old = classifiers.get("spam").classify(
        Item(kind=TEXT, text=text, author_id=new.pk, author_joined=timezone.now() - timedelta(days=400))
    )
    assert result.score > old.score


def test_a_trained_model_is_stored_without_pickle_and_loaded(db):
    model = spam.train(*spam.seed_corpus(40))
    SpamModel.objects.create(version=7, weights=spam.dump(model), spam_examples=20, ham_examples=20)
    spam.forget_loaded_model()
    version, loaded = spam.current_model()
    assert version == 7
    assert (loaded.feature_log_prob_ == model.feature_log_prob_).all()
    spam.forget_loaded_model()


# --- PDQ --------------------------------------------------------------------------------------------------


def test_pdq_matches_the_hash_list_and_survives_small_changes(db):
    listed = shapes(seed=5)
    digest, quality = pdq.pdq_hex(as_array(listed))
    assert len(digest) == 64 and quality >= 50
    HashEntry.objects.create(pdq=digest, description="test entry")
    pdq.hash_list_changed()
    classifier = classifiers.get("pdq")
    resized = listed.resize((300, 225))
    match = classifier.classify(Item(kind=IMAGE, image=as_array(resized)))
    assert match.score == 1.0 and match.details["distance"] <= 31
    other = classifier.classify(Item(kind=IMAGE, image=as_array(gradient(seed=9))))
    assert other.score == 0.0


def test_pdq_with_an_empty_list_matches_nothing(db):
    pdq.hash_list_changed()
    assert classifiers.get("pdq").classify(Item(kind=IMAGE, image=as_array(shapes(seed=3)))).score == 0.0
