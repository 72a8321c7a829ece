from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Row


@csrf_exempt
@require_POST
def insert(request):
    """The twin of the sign and confirm POSTs: one ORM insert, then a redirect."""
    Row.objects.create(value=request.POST.get("value", "")[:100])
    return HttpResponseRedirect("/done/")


def page(request):
    """The twin of the petition page: a small template with a cached number."""
    count = cache.get("count")
    if count is None:
        count = 12345
        cache.set("count", count, 60)
    return render(request, "baseline/page.html", {"count": count})
