"""The page an admin action shows before it acts (Django's delete-confirmation pattern): what
it will do, to whom, a form if it needs one; its POST carries `post` and the selection again."""
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse


def confirmed(request):
    """Whether this POST is the answer to the action's page."""
    return bool(request.POST.get("post"))


def action_page(model_admin, request, template, title, selected, **context):
    """The page of `template` (which extends admin/registrations/action_page.html), carrying
    the primary keys of `selected` and the action back in its form."""
    return TemplateResponse(request, template, {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "title": title,
        "selected_ids": [item.pk for item in selected], "action": request.POST.get("action"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME, **context,
    })
