"""Factories for the joint responses tests. Every area's tests build on these: add a missing one at the end,
with a comment saying whose it is."""

import datetime

import factory

from mhi.accounts.tests.factories import UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.responses.models import (
    AnswerVersion,
    Approval,
    Comment,
    Contribution,
    ContributionVersion,
    Question,
    Response,
    Signatory,
)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    title = factory.Sequence(lambda n: f"MHI response to consultation {n}")
    kind = "consultation"
    deadline = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=21))
    coordinator = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("coordinator")


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    response = factory.SubFactory(ResponseFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind="university")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    response = factory.SubFactory(ResponseFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Question {n}: what should the strategy prioritise?")
    word_limit = 250


class AnswerVersionFactory(factory.django.DjangoModelFactory):
    """A saved answer. Keeps the question's current answer in step, as the service does."""

    class Meta:
        model = AnswerVersion
        skip_postgeneration_save = True

    question = factory.SubFactory(QuestionFactory)
    # Read from the database: the question and response objects the caller holds may be stale.
    number = factory.LazyAttribute(
        lambda o: Question.objects.values_list("answer_version", flat=True).get(pk=o.question.pk) + 1
    )
    text = "The Midlands partnership recommends a regional approach."
    author = factory.SubFactory(UserFactory)
    response_revision = factory.LazyAttribute(
        lambda o: Response.objects.values_list("revision", flat=True).get(pk=o.question.response_id) + 1
    )

    @factory.post_generation
    def sync_question(obj, create, extracted, **kwargs):
        if create:
            Question.objects.filter(pk=obj.question_id).update(answer=obj.text, answer_version=obj.number)
            Response.objects.filter(pk=obj.question.response_id).update(revision=obj.response_revision)
            obj.question.refresh_from_db()


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution
        skip_postgeneration_save = True

    question = factory.SubFactory(QuestionFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind="university")
    kind = "evidence"
    text = "Our cohort of 12,000 patients shows the need."
    author = factory.SubFactory(UserFactory)

    @factory.post_generation
    def first_version(obj, create, extracted, **kwargs):
        if create:
            ContributionVersion.objects.create(contribution=obj, number=1, text=obj.text, author=obj.author)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    question = factory.SubFactory(QuestionFactory)
    author = factory.SubFactory(UserFactory)
    text = "Can we cite the 2024 figures?"


class ApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Approval

    response = factory.SubFactory(ResponseFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind="university")
    decision = "approved"
    revision = factory.LazyAttribute(lambda o: o.response.revision)
    decided_by = factory.SubFactory(UserFactory)
