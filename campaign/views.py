from django.shortcuts import get_object_or_404, render

from .models import Campaign


def home(request):
    campaigns = Campaign.objects.filter(status=Campaign.Status.LIVE).prefetch_related("petitions")
    return render(request, "campaign/home.html", {"campaigns": campaigns})


def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    prisoner_links = campaign.prisoner_links.select_related("prisoner", "prisoner__facility")
    petitions = campaign.petitions.exclude(status="draft")
    actions = campaign.actions.prefetch_related("organisers")
    return render(
        request,
        "campaign/campaign_detail.html",
        {
            "campaign": campaign,
            "prisoner_links": prisoner_links,
            "petitions": petitions,
            "actions": actions,
            "organisations": campaign.organisations.all(),
        },
    )
