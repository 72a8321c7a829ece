from django.db import models


class Row(models.Model):
    """One inserted row per request: the least an INSERT through the ORM can be."""

    value = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.value
