"""Background tasks for accounts."""

from django.core.mail import send_mail
from django_tasks import task

from mhi.accounts.models import Invitation


@task()
def invitation_send_email(*, invitation_id: int, url: str) -> None:
    invitation = Invitation.objects.select_related("organisation", "invited_by").get(pk=invitation_id)
    where = f" at {invitation.organisation}" if invitation.organisation_id else ""
    inviter = invitation.invited_by or "MHI Hub"
    send_mail(
        subject="[MHI Hub] You are invited to join MHI Hub",
        message=(
            f"{inviter} has invited you to MHI Hub as {invitation.get_role_display()}{where}.\n\n"
            f"Accept the invitation and create your account here (the link works for 14 days):\n{url}\n\n"
            "If you did not expect this, you can ignore this email."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
