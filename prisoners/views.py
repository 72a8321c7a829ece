from django.shortcuts import get_object_or_404, render

from .models import CriminalCase, Defendant, Prisoner


def prisoner_detail(request, slug):
    prisoner = get_object_or_404(Prisoner.objects.select_related("facility"), slug=slug)
    links = (
        Defendant.objects.filter(prisoner=prisoner)
        .select_related("case")
        .prefetch_related("charges", "case__defendant_links__prisoner", "case__events")
    )
    return render(request, "prisoners/prisoner_detail.html", {"prisoner": prisoner, "links": links})


def case_detail(request, slug):
    case = get_object_or_404(CriminalCase, slug=slug)
    defendants = case.defendant_links.select_related("prisoner").prefetch_related("charges")
    events = case.events.select_related("prisoner")
    return render(
        request, "prisoners/case_detail.html", {"case": case, "defendants": defendants, "events": events}
    )
