from django import forms
from django.contrib.auth import get_user_model
from wagtail.admin.forms import WagtailAdminModelForm


class ComplimentaryAccessForm(WagtailAdminModelForm):
    """Editors name the reader by email address: there may be a million readers to choose from."""

    reader_email = forms.EmailField(label="Reader's email address", max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.reader_id:
            self.fields["reader_email"].initial = self.instance.reader.email

    def clean_reader_email(self):
        email = self.cleaned_data["reader_email"]
        reader = get_user_model().objects.filter(email__iexact=email).first()
        if reader is None:
            raise forms.ValidationError("No reader has this email address. They must register first.")
        self.instance.reader = reader
        return email
