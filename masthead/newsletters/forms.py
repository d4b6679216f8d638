from django import forms

from .models import Newsletter


class _NewsletterChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Newsletter) -> str:
        return obj.name


class NewsletterChoicesForm(forms.Form):
    """Tick the newsletters you want. Only the newsletters offered to this reader are on the form."""

    newsletters = _NewsletterChoice(
        queryset=Newsletter.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Newsletters",
    )

    def __init__(self, *args, available, **kwargs):
        super().__init__(*args, **kwargs)
        self.available = list(available)
        self.fields["newsletters"].queryset = Newsletter.objects.filter(pk__in=[n.pk for n in self.available])

    def chosen_ids(self) -> set[int]:
        return {n.pk for n in self.cleaned_data["newsletters"]}

    def options(self) -> list[dict]:
        """Each newsletter with its description and whether it is ticked, for templates that lay out the boxes."""
        bound = self["newsletters"]
        ticked = {str(v) for v in (bound.value() or [])}
        return [
            {"newsletter": n, "checked": str(n.pk) in ticked, "field_name": bound.html_name} for n in self.available
        ]
