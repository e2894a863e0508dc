"""Shared fixtures. Tests talk to the real Redis and a real database: a missing
service fails the run loudly, it is never skipped."""

import shutil
from pathlib import Path

import pytest
import redis
from django.conf import settings

from testkit.tiny_models import save_tiny_model, save_tiny_summarizer, save_token_classifier

SHARED_SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "speech"
TEST_DB_MARKER = "speechsite:test-database"
# Fixtures shared by several test modules: live servers, webhook receivers.
pytest_plugins = ["tests.support.api_helpers", "tests.support.http_fixtures", "tests.support.s3"]
# Areas whose tests never touch the database: run once, not once per database.
DATABASE_FREE_AREAS = ("guards", "pipeline", "timedtext")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).parent.name in DATABASE_FREE_AREAS:
            item.add_marker(pytest.mark.once)


@pytest.fixture(scope="session", autouse=True)
def test_redis():
    """The test Redis database: it must be empty or one of ours from an earlier
    run, so that a test run never flushes a database that holds real data."""
    connection = redis.Redis.from_url(settings.REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is required for the tests and is not answering at {settings.REDIS_URL}: {exc}")
    if connection.dbsize() and not connection.exists(TEST_DB_MARKER):
        pytest.fail(
            f"{settings.REDIS_URL} holds data that is not from a test run; "
            "point TEST_REDIS_URL at an empty Redis database."
        )
    connection.flushdb()
    connection.set(TEST_DB_MARKER, "1")
    yield connection
    connection.flushdb()


@pytest.fixture(autouse=True)
def clean_queue(test_redis):
    test_redis.flushdb()
    test_redis.set(TEST_DB_MARKER, "1")
    yield


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-hubert"))


@pytest.fixture
def tiny_model(settings, tiny_model_dir):
    """Point STT_MODEL at the tiny model, as an operator would at a local folder."""
    settings.STT_MODEL = str(tiny_model_dir)
    settings.STT_PRECISION = "fp32"
    return tiny_model_dir


@pytest.fixture(scope="session")
def tiny_punctuation_dir(tmp_path_factory):
    """A tiny random BERT token classifier with felflare/bert-restore-punctuation's
    15 unnamed labels, its vocabulary the test speech's words."""
    from testkit.speech import SENTENCES

    words = {word for sentence in SENTENCES for word in sentence.split()}
    return save_token_classifier(tmp_path_factory.mktemp("tiny-punctuation"), sorted(words))


@pytest.fixture(scope="session")
def tiny_summarizer_dir(tmp_path_factory):
    """A tiny random BART with a word-level tokenizer of the test speech's words."""
    from testkit.speech import SENTENCES

    words = {word for sentence in SENTENCES for word in sentence.split()}
    return save_tiny_summarizer(tmp_path_factory.mktemp("tiny-summarizer"), sorted(words) + [".", ","])


@pytest.fixture(scope="session")
def shared_speech():
    if not SHARED_SPEECH.is_dir():
        pytest.fail(f"The real speech samples are missing: expected {SHARED_SPEECH}")
    return SHARED_SPEECH


@pytest.fixture(scope="session")
def real_speech(shared_speech):
    """The real recordings of testdata/speech by file name, decoded by the
    pipeline, with their reference transcripts."""
    from testkit.real_speech import load_utterances

    return {utterance.name: utterance for utterance in load_utterances(shared_speech)}


@pytest.fixture(scope="session")
def whisper_tiny_en_dir():
    """Real Whisper tiny.en weights, as a package ships them (a test fixture only)."""
    from testkit import packaged_models

    return packaged_models.tiny_en_dir()


@pytest.fixture(scope="session")
def whisper_base_dir(tmp_path_factory):
    """Real multilingual Whisper base weights, joined once per test session."""
    from testkit import packaged_models

    return packaged_models.base_dir(tmp_path_factory.mktemp("whisper-base"))


@pytest.fixture
def offer_models(settings):
    """offer_models("name=engine:source[:languages], ...") makes the site offer
    those models, as an operator's STT_MODELS would (automatic precision:
    int8 for Whisper on CPU)."""

    def offer(spec):
        settings.STT_MODELS = spec
        settings.STT_PRECISION = "auto"

    return offer


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None}},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield Path(settings.MEDIA_ROOT)


@pytest.fixture
def password():
    return "a-long-test-password-42"


@pytest.fixture
def owner(django_user_model, password):
    return django_user_model.objects.create_user("owner", "owner@example.com", password)


@pytest.fixture
def stranger(django_user_model, password):
    return django_user_model.objects.create_user("stranger", "stranger@example.com", password)


def require_tools():
    missing = [tool for tool in ("ffmpeg", "ffprobe", "espeak-ng", "sox") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"Missing tools: {', '.join(missing)}; run ./bin/setup")


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory):
    """About 12 s of generated speech: three sentences with 1.5 s pauses."""
    from testkit.speech import SENTENCES, make_speech

    require_tools()
    path, _, _ = make_speech(tmp_path_factory.mktemp("speech"), SENTENCES[:3], pause_s=1.5)
    return path


def run_worker_burst():
    """Run every queued job in this process, as a worker in burst mode would."""
    import django_rq
    from rq.worker import SimpleWorker

    worker = django_rq.get_worker(settings.TRANSCRIBE_QUEUE, settings.SUMMARY_QUEUE, worker_class=SimpleWorker)
    worker.work(burst=True)
    return worker


@pytest.fixture
def burst_worker():
    return run_worker_burst


def run_model_workers(*model_names):
    """Run every job queued for these offered models (all queues of them, in
    order) in this process, as `bin/worker` with WORKER_MODELS would."""
    from rq.worker import SimpleWorker

    from transcripts import offered_models, queueing

    queues = [queueing.get_queue(offered_models.queue_name(name)) for name in model_names]
    worker = SimpleWorker(queues, connection=queues[0].connection)
    worker.work(burst=True)
    return worker




@pytest.fixture(autouse=True)
def empty_cache():
    """Rendered transcripts are cached by primary key, and rolled-back tests reuse
    primary keys: each test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
