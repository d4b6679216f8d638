from django import forms

MAX_EMAIL_LENGTH = 254


class GateForm(forms.Form):
    """The registration gate: an email address, and a field people never see (bots fill it)."""

    email = forms.EmailField(
        label="Email address",
        max_length=MAX_EMAIL_LENGTH,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.org.",
            "max_length": "That address is too long.",
        },
    )
    website = forms.CharField(required=False, max_length=200, label="Leave this empty")

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))
