from django.shortcuts import get_object_or_404, render

from .models import Petition


def petition_detail(request, slug):
    petition = get_object_or_404(
        Petition.objects.exclude(status=Petition.Status.DRAFT).select_related("campaign"), slug=slug
    )
    return render(request, "petitions/petition_detail.html", {"petition": petition})
