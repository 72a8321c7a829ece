import factory
from django.utils import timezone

from campaign.models import Campaign
from petitions.models import Petition, Signature


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.Sequence(lambda n: f"Campaign {n}")
    summary = "Freedom for political prisoners."
    status = Campaign.Status.LIVE


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petition

    campaign = factory.SubFactory(CampaignFactory)
    slug = factory.Sequence(lambda n: f"petition-{n}")
    title = factory.Sequence(lambda n: f"Petition {n}")
    appeal = "We call for the release of the prisoners."
    status = Petition.Status.OPEN


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    first_name = "Anna"
    last_name = "Kowalska"
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    country = "PL"

    class Params:
        confirmed = factory.Trait(status=Signature.Status.CONFIRMED, confirmed_at=factory.LazyFunction(timezone.now))
