"""Photos organisers upload: real images only, within limits, published without their metadata."""

import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from prisoners.models import Prisoner

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def jpeg_with_location(size=(64, 48)):
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x9003] = "2021:12:15 12:00:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)})  # Kyiv
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def image_bytes(fmt, size=(32, 32)):
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, fmt)
    return out.getvalue()


def jpeg_cut_short():
    """A JPEG whose download stopped halfway: its headers are whole, half its image data is missing."""
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 200), bytes(range(256)) * 468 + bytes(192)).save(out, "JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


class _Inputs(HTMLParser):
    """The values a browser would send back from the admin's add form, as it is."""

    def __init__(self):
        super().__init__()
        self.data, self._select = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"file", "submit", "checkbox"}:
            self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def add_prisoner(client, photo):
    url = reverse("admin:prisoners_prisoner_add")
    parser = _Inputs()
    parser.feed(client.get(url).text)
    data = {**parser.data, "name_en": "Igor Kuznetsov", "slug": "igor-kuznetsov", "status": "pretrial_detention",
            "photo": photo}
    return client.post(url, data)


def test_an_uploaded_photo_is_published_without_its_location_or_camera(admin_client):
    response = add_prisoner(admin_client, SimpleUploadedFile("picket.jpg", jpeg_with_location(), "image/jpeg"))
    assert response.status_code == 302, response.text[-2000:]
    prisoner = Prisoner.objects.get(slug="igor-kuznetsov")
    with prisoner.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        exif = image.getexif()
        assert not exif and not exif.get_ifd(GPS_IFD)
        assert "exif" not in image.info
    raw = prisoner.photo.open("rb").read()
    assert b"PhoneMaker" not in raw


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.jpg", b"this is not an image at all", "Upload a valid image"),
        ("anim.gif", image_bytes("GIF"), "Photos must be JPEG, PNG or WebP, not GIF."),
        ("scan.bmp", image_bytes("BMP"), "Photos must be JPEG, PNG or WebP, not BMP."),
        ("wide.png", image_bytes("PNG", size=(6001, 10)), "at most 6000 on each side"),
        # Its headers read as a JPEG's: only decoding it fails (that was a 500).
        ("from-the-chat.jpg", jpeg_cut_short(), "This file is not a photo that can be read (JPEG, PNG or WebP)."),
    ],
)
def test_files_that_are_not_acceptable_photos_are_refused_with_a_message(admin_client, name, content, message):
    response = add_prisoner(admin_client, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.text
    assert not Prisoner.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(admin_client, settings):
    settings.PHOTO_MAX_BYTES = 1000
    response = add_prisoner(admin_client, SimpleUploadedFile("big.png", image_bytes("PNG", size=(400, 400))))
    assert response.status_code == 200
    assert "at most 1000 bytes, please" in response.text and not Prisoner.objects.exists()


def test_a_jpegs_comment_and_the_files_own_name_are_not_published(admin_client):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, "JPEG", comment=b"Taken by Olena at the Kyiv picket, +380 44 000 0000")
    response = add_prisoner(admin_client, SimpleUploadedFile("olena-at-the-kyiv-picket.jpg", out.getvalue()))
    assert response.status_code == 302, response.text[-2000:]
    prisoner = Prisoner.objects.get(slug="igor-kuznetsov")
    raw = prisoner.photo.open("rb").read()
    assert b"Olena" not in raw and b"+380" not in raw
    assert "olena" not in prisoner.photo.name and "picket" not in prisoner.photo.name


def test_a_photo_is_served_to_everyone_once_its_prisoner_is_public_and_before_only_to_organisers(
    client, admin_client, settings
):
    from campaign.models import Campaign, CampaignPrisoner

    from .factories import CampaignFactory

    settings.DEBUG = False  # production: no static() route for MEDIA_ROOT
    add_prisoner(admin_client, SimpleUploadedFile("p.jpg", jpeg_with_location()))
    prisoner = Prisoner.objects.get(slug="igor-kuznetsov")
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    CampaignPrisoner.objects.create(campaign=campaign, prisoner=prisoner)
    path = prisoner.photo.url
    assert path.startswith("/media/prisoners/")

    assert client.get(path).status_code == 404  # a draft campaign's prisoner: not findable
    organiser = admin_client.get(path)
    assert organiser.status_code == 200 and organiser["Cache-Control"] == "private, no-store"

    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.LIVE)
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # a JPEG
    assert client.get("/media/prisoners/nothing.jpg").status_code == 404
