"""Recording organiser-visible actions (the pretix habit): one call, a dotted action code, JSON data."""

from .models import AuditEntry


def record(action, *, user=None, campaign=None, campaign_id=None, obj=None, **data):
    """Log `action` (e.g. "signature.rejected"). `data` must not carry signers' personal data."""
    return AuditEntry.objects.create(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        campaign_id=campaign.pk if campaign is not None else campaign_id,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
