"""Checking and cleaning the photos organisers upload.

A photo is published to everyone, so it is checked (a real JPEG, PNG or WebP image that Pillow can
read, within size limits) and then re-encoded: that drops EXIF and every other metadata block --
a picture taken at a picket can carry the GPS position and the camera of whoever took it -- and
anything smuggled after the image data. It is stored under a random name.

Photos are served by prisoners.views.photo: to everyone once the prisoner is public, before that
only to organisers who may see them.
"""

import io
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_SIDE = 6000  # pixels; also keeps decompression bombs out
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


# What Pillow raises for a file it cannot read, or cannot decode.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _unreadable():
    return ValidationError(_("This file is not a photo that can be read (JPEG, PNG or WebP)."))


def check(upload):
    """Raise ValidationError unless `upload` is an acceptable photo; returns its Pillow format."""
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is %(size)s; at most %(limit)s, please.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.PHOTO_MAX_BYTES)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format, (width, height) = image.format, image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise ValidationError(
                    _("The photo is %(w)s×%(h)s pixels; at most %(max)s on each side, please.")
                    % {"w": width, "h": height, "max": MAX_SIDE}
                )
            image.verify()
    except UNREADABLE:
        raise _unreadable() from None
    finally:
        upload.seek(0)
    if image_format not in FORMATS:
        raise ValidationError(
            _("Photos must be JPEG, PNG or WebP, not %(format)s.") % {"format": image_format or _("unknown")}
        )
    return image_format


def cleaned(upload):
    """A checked, re-encoded copy of `upload` without any metadata, as a new upload."""
    image_format = check(upload)
    try:
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
            if image_format == "JPEG" and image.mode not in {"RGB", "L"}:
                image = image.convert("RGB")
            out = io.BytesIO()
            options = {"quality": 88, "optimize": True} if image_format in {"JPEG", "WEBP"} else {"optimize": True}
            # Pillow copies what the source's info holds into what it saves (a JPEG's comment, a colour
            # profile, PNG text): a comment can name who took the picture, and where.
            image.info.clear()
            image.save(out, format=image_format, **options)  # no exif=, no icc_profile=, no pnginfo=
    except UNREADABLE:
        # check() reads a JPEG's headers only: one cut short (half downloaded from a messenger) or
        # damaged in its image data fails only here, where it is decoded. That was a 500.
        raise _unreadable() from None
    finally:
        upload.seek(0)
    # Not the uploaded file's name, which can name who is in the picture or who took it
    # ("olena-at-the-kyiv-picket.jpg"), and which would make an unpublished prisoner's photo guessable.
    return SimpleUploadedFile(
        f"{secrets.token_hex(8)}.{FORMATS[image_format]}", out.getvalue(), content_type=MIME[image_format]
    )
