"""Benchmark: one letter's memory and CPU, `render_letter` alone, in this process.

    python bench/letter.py [--signatures 17886] [--trace]

No database and no services: the campaign, petition, embassy and signatures are unsaved model
instances, read one at a time as the delivery task reads its cursor; every other town and every
fifth organisation is too wide for its column (wrapped: the costly case). Reports the process's
RSS growth (`ru_maxrss` before and after; a warm-up letter first, so fonts and modules are loaded,
then `gc.freeze()` as in a worker), the CPU time and the PDF's size and pages; with --trace, also
the peak of Python's allocations (tracemalloc; slows the render ~8x). 17,886 is the largest letter
of `deliveries.py --distribution zipf`; 100,000 is a campaign whose signers all live in one country.
"""

import argparse
import gc
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=17_886)
    parser.add_argument("--trace", action="store_true", help="also the peak of Python's allocations")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    os.environ.setdefault("DEBUG", "true")  # development settings: no SECRET_KEY needed, no database touched
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from campaign.models import Campaign
    from petitions.models import Delivery, Embassy, Petition, Signature
    from petitions.pdf import render_letter

    campaign = Campaign(title="Freedom for Igor Kuznetsov, Darya Polyudova and their comrades")
    paragraph = "We ask you to pass on our call for the release of the prisoners. " * 8
    petition = Petition(
        campaign=campaign, slug="bench", title_en="Free the Tomsk trade unionist and his co-defendants",
        addressee_en="To the Ambassador of the Russian Federation", appeal_en="\n\n".join([paragraph] * 4),
        demands_en="Release them\nDrop the charges\nLet them see their lawyers",
    )
    embassy = Embassy(country="FR", city="Paris", mission_type=Embassy.MissionType.EMBASSY)

    def signatures(n):
        for i in range(1, n + 1):
            yield Signature(
                pk=i, first_name="Marie-Claire", last_name=f"Dupont-Lefebvre {i}", name_in_letter=i % 3 != 0,
                country="FR", city="Saint-Rémy-de-Provence" if i % 2 else "Lyon",
                organisation="Comité de solidarité avec les prisonniers politiques" if i % 5 == 0 else "",
            )

    render_letter(Delivery(pk=1, petition=petition, embassy=embassy, is_test=True), signatures(10))  # warm up
    gc.freeze()  # as the worker's pool processes do (campaign/celery.py): collections walk only the letter's objects
    before = rss_mb()
    if args.trace:
        tracemalloc.start()
    started = time.process_time()
    pdf, _manifest, count = render_letter(
        Delivery(pk=2, petition=petition, embassy=embassy, is_test=True), signatures(args.signatures)
    )
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if args.trace else None
    after = rss_mb()
    print(f"signatures       {count:,}")
    print(f"pages            {pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages'):,}")
    print(f"PDF              {len(pdf) / 1e6:.2f} MB")
    print(f"CPU              {cpu:.2f} s{' (traced)' if args.trace else ''}")
    print(f"peak RSS         {before:.0f} MB -> {after:.0f} MB (+{after - before:.0f} MB)")
    if peak is not None:
        print(f"peak allocations {peak:.1f} MB (tracemalloc)")


if __name__ == "__main__":
    main()
