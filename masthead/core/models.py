from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class MastheadImage(AbstractImage):
    """A picture with the credit a publication owes its photographer."""

    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text="Photographer or agency, shown wherever the image is used.",
    )

    admin_form_fields = (*Image.admin_form_fields, "credit")

    @property
    def alt_text(self) -> str:
        return self.description or self.title


class MastheadRendition(AbstractRendition):
    image = models.ForeignKey(MastheadImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


@register_setting(icon="site")
class PublicationSettings(BaseSiteSetting):
    """What the publication says about itself on every page."""

    tagline = models.CharField(
        max_length=160,
        default="Independent analysis of world affairs",
        help_text="One line under the publication's name.",
    )
    about = models.TextField(
        blank=True,
        help_text="A short paragraph for the footer: who publishes this and why.",
    )
    copyright_holder = models.CharField(max_length=120, blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("tagline"), FieldPanel("about"), FieldPanel("copyright_holder")],
            heading="Identity",
        ),
    ]

    class Meta:
        verbose_name = "publication settings"


class ContentVersion(models.Model):
    """One row whose number changes whenever anything a page shows may have changed (see `content_version`)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "content version"

    def __str__(self) -> str:
        return f"content version {self.value}"
