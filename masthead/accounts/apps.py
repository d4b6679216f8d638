from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "masthead.accounts"
    label = "accounts"
    verbose_name = "Readers and staff"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .backends import forget_user

        def row_changed(sender, instance, **kwargs) -> None:
            forget_user(instance.pk)

        user = self.get_model("User")
        post_save.connect(row_changed, sender=user, dispatch_uid="accounts.kept_user.save", weak=False)
        post_delete.connect(row_changed, sender=user, dispatch_uid="accounts.kept_user.delete", weak=False)
